//! What the portal is told when the tenant builds it: the job it shows, the token its pages call Graph
//! with, and the tenant-side data Graph has no resource for (the target and its exchanges).

use std::fmt;
use std::sync::Arc;

use crate::report::html::ExchangeText;

/// How the tenant configures the portal.
#[derive(Clone)]
pub struct PortalConfig {
    /// Bearer token the pages send to the tenant's Graph API (minted by the tenant; never logged).
    pub access_token: String,
    /// Object id of the enterprise application's service principal (`/servicePrincipals/{id}`).
    pub service_principal_id: String,
    /// The provisioning job (`synchronization/jobs/{id}`), e.g. `scim.<tenant hex>.<guid>`.
    pub job_id: String,
    /// The simulated tenant's id.
    pub tenant_id: String,
    /// The enterprise application's display name, shown in the breadcrumb.
    pub app_name: String,
    /// The target and its exchanges.
    pub data: Arc<dyn PortalData>,
}

impl fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalConfig")
            .field("access_token", &"<redacted>")
            .field("service_principal_id", &self.service_principal_id)
            .field("job_id", &self.job_id)
            .field("tenant_id", &self.tenant_id)
            .field("app_name", &self.app_name)
            .finish_non_exhaustive()
    }
}

/// What the tenant knows and Microsoft Graph has no resource for: the SCIM endpoint the job provisions
/// to and the requests it sent there. The tenant implements it; the portal serves it at
/// `GET /_entrasim/target` and `GET /_entrasim/exchanges` and on the Target page.
pub trait PortalData: Send + Sync + 'static {
    /// The endpoint, as shown to the user (no secrets).
    fn target(&self) -> Target;
    /// How many exchanges the job has recorded so far.
    fn exchange_count(&self) -> usize;
    /// Exchanges `from..from + limit` in the order they were sent, redacted as in transcripts.
    fn exchanges(&self, from: usize, limit: usize) -> Vec<ExchangeText>;
}

/// The SCIM endpoint the job provisions to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// The tenant URL as configured (with `?aadOptscim062020` when set), credentials removed.
    pub url: String,
    /// `legacy` or `compliant` (the PATCH dialect the URL selects).
    pub dialect: String,
    /// Whether the endpoint is entrasim's embedded one.
    pub embedded: bool,
}
