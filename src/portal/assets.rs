//! The portal's stylesheet and scripts, compiled into the binary (no build step, no CDN: the portal
//! works offline). The stylesheet is the HTML report's with the blade's layout after it, so the two
//! look alike; each page loads `portal.js` (Graph client, live events, shared widgets) and its own script.

use super::pages::Page;

/// The stylesheet: the report's, then the portal's.
const CSS: &str = concat!(
    include_str!("../report/html/templates/report.css"),
    "\n/* ---- portal ---- */\n",
    include_str!("assets/portal.css")
);

/// `(name, content type, text)` of every asset served under `/_portal/`.
const ASSETS: &[(&str, &str, &str)] = &[
    ("portal.css", "text/css; charset=utf-8", CSS),
    ("portal.js", JS, include_str!("assets/portal.js")),
    ("overview.js", JS, include_str!("assets/overview.js")),
    ("on_demand.js", JS, include_str!("assets/on_demand.js")),
    ("users.js", JS, include_str!("assets/users.js")),
    ("mapping.js", JS, include_str!("assets/mapping.js")),
    ("target.js", JS, include_str!("assets/target.js")),
    ("logs.js", JS, include_str!("assets/logs.js")),
];

const JS: &str = "text/javascript; charset=utf-8";

/// The asset called `name`: its content type and text.
pub fn get(name: &str) -> Option<(&'static str, &'static str)> {
    ASSETS.iter().find(|(n, _, _)| *n == name).map(|(_, kind, text)| (*kind, *text))
}

/// The script a page loads after `portal.js`.
pub fn script_of(page: Page) -> &'static str {
    match page {
        Page::Overview => "overview.js",
        Page::OnDemand => "on_demand.js",
        Page::Users => "users.js",
        Page::Mapping => "mapping.js",
        Page::Target => "target.js",
        Page::Logs => "logs.js",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_script_is_served() {
        for page in Page::ALL {
            assert!(get(script_of(page)).is_some(), "{page:?}'s script is missing");
        }
        assert!(get("portal.css").is_some_and(|(_, css)| css.contains(".badge") && css.contains(".menu")));
    }

    #[test]
    fn nothing_is_loaded_from_elsewhere() {
        for (name, _, text) in ASSETS {
            // The JSON download names its Graph context, as Graph does; nothing is fetched from it.
            let text = text.replace("\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning\"", "");
            for remote in ["http://", "https://", "//cdn", "@import"] {
                assert!(!text.contains(remote), "{name} refers to something outside the binary: {remote}");
            }
        }
    }
}
