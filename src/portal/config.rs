//! What the portal is told when the tenant builds it: the job its pages show and where their Graph
//! tokens come from.

use std::fmt;
use std::sync::Arc;

/// Mints a bearer token for the tenant's Graph API and `/_entrasim` routes. Called once per page
/// served, so a page always starts with a fresh token (Graph's expire after an hour).
pub type TokenSource = Arc<dyn Fn() -> String + Send + Sync>;

/// How the tenant configures the portal.
#[derive(Clone)]
pub struct PortalConfig {
    /// Mints the token each page sends to Graph (never logged, never printed).
    pub access_token: TokenSource,
    /// Object id of the enterprise application's service principal (`/servicePrincipals/{id}`).
    pub service_principal_id: String,
    /// The provisioning job (`synchronization/jobs/{id}`), e.g. `scim.<tenant hex>.<guid>`.
    pub job_id: String,
    /// The simulated tenant's id.
    pub tenant_id: String,
    /// The enterprise application's display name, shown in the breadcrumb.
    pub app_name: String,
}

impl fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalConfig")
            .field("access_token", &"<minted per page>")
            .field("service_principal_id", &self.service_principal_id)
            .field("job_id", &self.job_id)
            .field("tenant_id", &self.tenant_id)
            .field("app_name", &self.app_name)
            .finish()
    }
}
