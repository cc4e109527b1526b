//! The portal's pages: one askama template per blade menu entry, all inside `blade.html` (top bar,
//! breadcrumb, menu). The server renders the frame and each page's empty structure; the pages'
//! JavaScript fills them from Microsoft Graph and the tenant's `/_entrasim` routes on the same origin.

use askama::Template;

use super::config::PortalConfig;

/// A page of the blade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Job status, progress, statistics, Start/Stop/Restart/Test connection.
    Overview,
    /// Provision on demand.
    OnDemand,
    /// The directory: users, groups, assignments, members, deleted items.
    Users,
    /// Attribute mappings and scoping filters.
    Mapping,
    /// The target endpoint and its exchanges.
    Target,
    /// Provisioning logs.
    Logs,
}

/// One entry of the blade's menu.
pub struct MenuItem {
    /// Section heading shown above the entry.
    pub group: Option<&'static str>,
    /// Link.
    pub href: &'static str,
    /// Text.
    pub label: &'static str,
    /// The page the entry opens (also names its icon in `icons.html`).
    pub page: &'static str,
}

impl Page {
    /// Every page, in menu order.
    pub const ALL: [Page; 6] = [Page::Overview, Page::OnDemand, Page::Users, Page::Mapping, Page::Target, Page::Logs];

    /// The URL path.
    pub fn path(self) -> &'static str {
        match self {
            Page::Overview => "/",
            Page::OnDemand => "/provision-on-demand",
            Page::Users => "/users-and-groups",
            Page::Mapping => "/attribute-mapping",
            Page::Target => "/target",
            Page::Logs => "/provisioning-logs",
        }
    }

    /// The page's name in `data-page` and in the menu.
    pub fn key(self) -> &'static str {
        match self {
            Page::Overview => "overview",
            Page::OnDemand => "on-demand",
            Page::Users => "users",
            Page::Mapping => "mapping",
            Page::Target => "target",
            Page::Logs => "logs",
        }
    }

    /// The title in the blade's header.
    pub fn title(self) -> &'static str {
        match self {
            Page::Overview => "Provisioning",
            Page::OnDemand => "Provision on demand",
            Page::Users => "Users and groups",
            Page::Mapping => "Attribute mapping",
            Page::Target => "Target",
            Page::Logs => "Provisioning logs",
        }
    }

    fn menu_item(self) -> MenuItem {
        let group = match self {
            Page::Users => Some("Manage"),
            Page::Logs => Some("Monitor"),
            _ => None,
        };
        let label = if self == Page::Overview { "Overview" } else { self.title() };
        MenuItem { group, href: self.path(), label, page: self.key() }
    }
}

/// What every page's frame shows.
pub struct Shell<'a> {
    /// `data-page`.
    pub page: &'static str,
    /// The page's script under `/_portal/`.
    pub script: &'static str,
    /// Title.
    pub title: &'static str,
    /// The application's name.
    pub app_name: &'a str,
    /// Up to two letters for the application's tile.
    pub initials: String,
    /// The Graph token the page's script sends, minted for this page.
    pub token: String,
    /// Service principal id.
    pub service_principal_id: &'a str,
    /// Job id.
    pub job_id: &'a str,
    /// Tenant id.
    pub tenant_id: &'a str,
    /// Users per page of a cycle's progress (Entra counts pages, not objects).
    pub page_size: usize,
    /// The blade's menu.
    pub menu: Vec<MenuItem>,
}

impl<'a> Shell<'a> {
    fn new(config: &'a PortalConfig, page: Page) -> Shell<'a> {
        Shell {
            page: page.key(),
            script: super::assets::script_of(page),
            title: page.title(),
            app_name: &config.app_name,
            initials: initials(&config.app_name),
            token: (config.access_token)(),
            service_principal_id: &config.service_principal_id,
            job_id: &config.job_id,
            tenant_id: &config.tenant_id,
            page_size: crate::engine::result::PAGE_SIZE,
            menu: Page::ALL.iter().map(|p| p.menu_item()).collect(),
        }
    }
}

fn initials(name: &str) -> String {
    let letters: String = name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    if letters.is_empty() {
        "E".to_string()
    } else {
        letters.to_uppercase()
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview<'a> {
    shell: Shell<'a>,
}

#[derive(Template)]
#[template(path = "on_demand.html")]
struct OnDemand<'a> {
    shell: Shell<'a>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct Users<'a> {
    shell: Shell<'a>,
}

#[derive(Template)]
#[template(path = "mapping.html")]
struct Mapping<'a> {
    shell: Shell<'a>,
}

#[derive(Template)]
#[template(path = "logs.html")]
struct Logs<'a> {
    shell: Shell<'a>,
}

#[derive(Template)]
#[template(path = "target.html")]
struct TargetPage<'a> {
    shell: Shell<'a>,
}

/// Renders a page.
pub fn render(config: &PortalConfig, page: Page) -> Result<String, askama::Error> {
    let shell = Shell::new(config, page);
    match page {
        Page::Overview => Overview { shell }.render(),
        Page::OnDemand => OnDemand { shell }.render(),
        Page::Users => Users { shell }.render(),
        Page::Mapping => Mapping { shell }.render(),
        Page::Logs => Logs { shell }.render(),
        Page::Target => TargetPage { shell }.render(),
    }
}
