//! The portal: a web application modelled on the Entra admin center's provisioning blade, served by
//! `entrasim tenant` at `/` (issue 21). Pages: Overview (job status, quarantine and what to do, the
//! current cycle's progress in pages, the last cycle's statistics, escrows, next cycle; Start, Stop,
//! Restart, Test connection), Provision on demand, Users and groups, Attribute mapping, Target
//! (endpoint and redacted exchanges) and Provisioning logs (filters, detail tabs, JSON and CSV
//! downloads `entrasim logs`/`replay` read).
//!
//! ```text
//! browser ──GET page──▶ portal::router ──askama (templates/)──▶ the blade's frame and page structure
//!    │  scripts (assets/, compiled in)
//!    ├──bearer token──▶ /v1.0/… Microsoft Graph (the tenant's graph module): every read and change
//!    ├──EventSource──▶ /_entrasim/events (the tenant): engine events; a page refreshes what they touch
//!    └──bearer token──▶ /_entrasim/status, /_entrasim/exchanges, /_entrasim/mapping (the tenant)
//! ```
//!
//! The portal holds no directory or provisioning logic of its own: its pages change the tenant only
//! through Graph, with a token the tenant mints for each page served and puts in it
//! (`<meta name="entrasim:token">`; pages are served `no-store`, and nothing inline runs under their
//! Content-Security-Policy). The stylesheet starts with the HTML report's, so both look alike. What the
//! pages show is described in `docs/portal.md`.

mod assets;
mod config;
mod pages;
mod routes;

pub use config::{PortalConfig, TokenSource};
pub use pages::Page;
pub use routes::router;

#[cfg(test)]
mod tests;
