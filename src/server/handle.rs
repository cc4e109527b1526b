//! Starting and stopping the embedded endpoint: [`start`] binds, spawns the server (axum's `serve` around the
//! [`routes::service`] function, no router) on the current tokio runtime and returns a [`ServerHandle`] with
//! the base URL and bearer token.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, PoisonError, RwLock};

use axum::extract::DefaultBodyLimit;
use axum::ServiceExt;
use rand::distr::{Alphanumeric, SampleString};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use serde_json::Value;

use crate::scim::filter::EvalOptions;
use crate::scim::model::ScimError;
use crate::scim::patch::ApplyOptions;
use crate::server::auth::Bearer;
use crate::server::error::ServerError;
use crate::server::lenient::LenientListener;
use crate::server::routes;
use crate::server::state::{AppState, BASE_PATH};
use crate::server::store::{Kind, Store, StoreOptions};
use crate::server::switches::{FaultRates, Switches};

/// The default request body limit: 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The default and largest page size (`filter.maxResults` in `/ServiceProviderConfig`).
pub const DEFAULT_MAX_RESULTS: usize = 1000;

/// How to run the embedded endpoint.
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to listen on; the default `127.0.0.1:0` picks a free port on the loopback interface.
    pub addr: SocketAddr,
    /// The bearer token clients must send; `None` generates a random one.
    pub token: Option<String>,
    /// Compatibility hazards and fault injection.
    pub switches: Switches,
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Default and largest page size of list answers.
    pub max_results: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: None,
            switches: Switches::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_results: DEFAULT_MAX_RESULTS,
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("switches", &self.switches)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_results", &self.max_results)
            .finish()
    }
}

/// The resource types the endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceType {
    /// `/Users`
    User,
    /// `/Groups`
    Group,
}

impl ResourceType {
    fn kind(self) -> Kind {
        match self {
            ResourceType::User => Kind::User,
            ResourceType::Group => Kind::Group,
        }
    }
}

/// A running endpoint. Dropping the handle stops the server too (without waiting for it).
pub struct ServerHandle {
    url: String,
    token: String,
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle").field("url", &self.url).field("token", &"<redacted>").finish()
    }
}

impl ServerHandle {
    /// The SCIM base URL, `http://127.0.0.1:PORT/scim/v2`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bearer token the endpoint accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stores a resource directly, with the same checks and normalisation as a POST (for setup that is not
    /// Entra traffic, such as a scenario's pre-existing target users). Returns the stored resource, or the SCIM
    /// error a POST would have answered.
    pub fn insert(&self, resource_type: ResourceType, body: Value) -> Result<Value, ScimError> {
        let mut store = self.state.store.write().unwrap_or_else(PoisonError::into_inner);
        store.create(resource_type.kind(), body).map_err(|e| e.body())
    }

    /// Puts back resources [`ServerHandle::resources`] listed (ids, times and versions kept): users first,
    /// then groups, whose members must be stored by then.
    pub fn restore(&self, resource_type: ResourceType, resources: Vec<Value>) -> Result<(), ScimError> {
        let mut store = self.state.store.write().unwrap_or_else(PoisonError::into_inner);
        for doc in resources {
            store.restore(resource_type.kind(), doc).map_err(|e| e.body())?;
        }
        Ok(())
    }

    /// Every stored resource of a type, in creation order (what the target holds, for reports and checks).
    pub fn resources(&self, resource_type: ResourceType) -> Vec<Value> {
        let store = self.state.store.read().unwrap_or_else(PoisonError::into_inner);
        let (_, all) = store.query(resource_type.kind(), None, EvalOptions::default(), 1, usize::MAX);
        all.into_iter().map(|stored| stored.into_doc()).collect()
    }

    /// Changes the fault injection from the next request on (the draws keep counting requests, so a run
    /// stays reproducible). `Err` when the rates are out of range.
    pub fn set_faults(&self, faults: FaultRates) -> Result<(), ServerError> {
        faults.validate().map_err(ServerError::InvalidSwitch)?;
        *self.state.faults.write().unwrap_or_else(PoisonError::into_inner) = faults;
        Ok(())
    }

    /// The fault injection in effect.
    pub fn faults(&self) -> FaultRates {
        *self.state.faults.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops accepting connections, lets in-flight requests finish (simulated hangs end at once) and waits for
    /// the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the endpoint on the current tokio runtime.
pub async fn start(config: ServerConfig) -> Result<ServerHandle, ServerError> {
    config.switches.validate().map_err(ServerError::InvalidSwitch)?;
    let bind_err = |source| ServerError::Bind { addr: config.addr, source };
    let listener = tokio::net::TcpListener::bind(config.addr).await.map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let url = format!("http://{addr}{BASE_PATH}");
    let token = config.token.clone().unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rng(), 32));
    let (stop, stopped) = watch::channel(false);
    let switches = config.switches;
    let store_opts = StoreOptions {
        base_url: url.clone(),
        keep_attributes: switches.keep_attributes.clone(),
        keep_group_attributes: switches.keep_group_attributes.clone(),
        duplicate_group_names: switches.duplicate_group_names,
        patch: ApplyOptions {
            remove_all_members_on_legacy_remove: switches.remove_all_members_on_legacy_remove,
            ignore_pathless_replace: switches.ignore_pathless_patch,
        },
    };
    let state = Arc::new(AppState {
        store: RwLock::new(Store::new(url.clone(), store_opts.clone())),
        shaping: store_opts,
        bearer: Bearer::new(&token),
        faults: RwLock::new(switches.faults()),
        switches,
        requests: AtomicU64::new(0),
        shutdown: stopped.clone(),
        base_url: url.clone(),
        max_results: config.max_results.max(1),
        max_body_bytes: config.max_body_bytes,
        tombstones: Default::default(),
    });
    let served = state.clone();
    let app = tower::ServiceBuilder::new()
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .service(tower::service_fn(move |request| routes::service(served.clone(), request)));
    let mut stopped = stopped;
    let task = tokio::spawn(async move {
        let signal = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        // A serve error (the listener failing) ends the task; there is no one to report it to but the handle,
        // whose next request will fail to connect.
        let _ = axum::serve(LenientListener(listener), app.into_make_service()).with_graceful_shutdown(signal).await;
    });
    Ok(ServerHandle { url, token, addr, state, stop, task: Some(task) })
}
