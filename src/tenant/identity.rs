//! The tenant's identity: its tenant id, the application (client) id and secret, the service principal
//! and the provisioning job's id, made fresh for each tenant. The client secret is random unless given,
//! and only its hash is kept ([`TenantIdentity::client_secret_sha256`]).

use base64::Engine as _;
use rand::RngCore;

use crate::directory::Directory;
use crate::graph::{secret_sha256, TenantIdentity};
use crate::scim::client::Secret;

/// What a client needs to get a token from the tenant.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The tenant id (the token endpoint's path segment).
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// Whether the secret was made here (and so must be shown once to the operator).
    pub generated: bool,
}

/// A fresh identity for an application called `name`.
pub fn make(name: &str, secret: Option<Secret>, directory: &Directory) -> (TenantIdentity, Credentials) {
    let guid = || uuid::Uuid::new_v4().to_string();
    let generated = secret.is_none();
    let secret = secret.unwrap_or_else(|| {
        let mut bytes = [0u8; 30];
        rand::rng().fill_bytes(&mut bytes);
        Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    });
    let hex = |n: usize| {
        let mut bytes = vec![0u8; n];
        rand::rng().fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let identity = TenantIdentity {
        tenant_id: guid(),
        service_principal_id: guid(),
        app_id: guid(),
        display_name: name.to_string(),
        // Entra's job ids read `scim.<32 hex>.<32 hex>`.
        job_id: format!("scim.{}.{}", hex(16), hex(16)),
        template_id: "scim".into(),
        client_secret_sha256: secret_sha256(secret.expose()),
        app_roles: roles_in_use(directory),
    };
    let credentials = Credentials {
        tenant_id: identity.tenant_id.clone(),
        client_id: identity.app_id.clone(),
        client_secret: secret,
        generated,
    };
    (identity, credentials)
}

/// The credentials of a tenant kept with `--state`: the secret given now, or none shown (the one made
/// when the state was created was shown then; only its hash is kept).
pub fn restored(identity: &TenantIdentity, secret: Option<Secret>) -> Credentials {
    Credentials {
        tenant_id: identity.tenant_id.clone(),
        client_id: identity.app_id.clone(),
        generated: false,
        client_secret: secret.unwrap_or_else(|| Secret::new(String::new())),
    }
}

/// The app roles the directory's assignments use (the default access role aside), in first-use order.
fn roles_in_use(directory: &Directory) -> Vec<crate::directory::AppRole> {
    let mut roles = Vec::new();
    for (id, _) in directory.users() {
        for role in directory.app_roles(id) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    roles
}
