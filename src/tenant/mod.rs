//! `entrasim tenant`: a live simulated Entra tenant — a mock identity provider that speaks Microsoft Graph and runs a
//! provisioning job against a SCIM endpoint for as long as it is left running.
//!
//! ```text
//!            ┌──────────── axum on one address ─────────────┐
//! client ──▶ │ graph::router  (token endpoint, /v1.0, /beta) │──▶ TenantBackend ─┐
//!            │ control::router (/_entrasim: status, events,  │                   │ commands
//!            │                  clock, exchanges, mapping)   │                   ▼
//!            └───────────────────────────────────────────────┘      job::JobTask (owns the Runner)
//!                         reads ▲ shared::Shared (directory, clock, status board,  │ cycles on the
//!                               └──── event hub, provisioning log, exchanges) ◀────┘ scaled clock
//! ```
//!
//! The job is the same engine `run` drives ([`crate::engine::runner::Runner`]); only the caller differs:
//! here cycles come when the scaled clock reaches the schedule, and the directory changes through Graph.

mod backend;
mod control;
mod facts;
mod identity;
mod job;
pub mod shared;
pub mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

pub use backend::{job_view, TenantBackend};
pub use identity::Credentials;
pub use job::Connection;

use crate::directory::Directory;
use crate::engine::action::Actor;
use crate::engine::clock::{JobClock, ScaledClock};
use crate::engine::dialect::Dialect;
use crate::engine::mapper::SetMapper;
use crate::engine::runner::{Lifetime, Runner};
use crate::engine::state::{Engine, Settings};
use crate::engine::Target;
use crate::graph::TenantIdentity;
use crate::mapping::MappingSet;
use crate::scim::client::{Auth, Client, ClientConfig, Secret};
use crate::server::{self, ServerConfig, Switches};

/// Simulated seconds per real second unless told otherwise: a 40-minute cycle every 4 seconds.
pub const DEFAULT_SPEED: f64 = 600.0;

/// What the tenant starts with.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// Name of the application (its display name in Graph).
    pub name: String,
    /// The directory: users, groups, assignments.
    pub directory: Directory,
    /// The mapping.
    pub mapping: MappingSet,
    /// The mapping as a `synchronizationSchema`, when it was given as one (otherwise it is exported).
    pub schema: Option<serde_json::Value>,
    /// Job settings.
    pub settings: Settings,
    /// Where the job provisions.
    pub target: Target,
    /// Switches of the embedded endpoint (no `--target`).
    pub switches: Switches,
    /// Where Graph and the control routes listen.
    pub addr: SocketAddr,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Start with the clock paused: the initial cycle still runs, later ones wait for the clock to move.
    pub clock_paused: bool,
    /// The application's client secret; `None` makes a random one.
    pub client_secret: Option<Secret>,
    /// How the job reaches its endpoint.
    pub connection: Connection,
    /// Seed of the mapping's `Guid()` and `RandomString()`.
    pub seed: u64,
    /// Keep the tenant in this directory across restarts (`--state`).
    pub state_dir: Option<std::path::PathBuf>,
}

impl TenantConfig {
    /// An empty tenant with `mapping`, provisioning into the embedded endpoint, on 127.0.0.1 at a port the
    /// OS picks, at [`DEFAULT_SPEED`].
    pub fn new(mapping: MappingSet) -> Self {
        TenantConfig {
            name: "entrasim".into(),
            directory: Directory::new(),
            mapping,
            schema: None,
            settings: Settings { concurrency: crate::engine::DEFAULT_CONCURRENCY, ..Settings::default() },
            target: Target::Embedded,
            switches: Switches::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            speed: DEFAULT_SPEED,
            clock_paused: false,
            client_secret: None,
            connection: Connection {
                timeout: Duration::from_secs(30),
                forward_flag: false,
                max_retry_wait: Duration::from_secs(2),
                dialect: None,
            },
            seed: 0,
            state_dir: None,
        }
    }
}

/// Why the tenant did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantError {
    /// The address is taken or not local.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The embedded endpoint did not start.
    #[error("the embedded endpoint did not start: {0}")]
    Endpoint(String),
    /// The job's thread did not start.
    #[error("the provisioning job did not start: {source}")]
    Job {
        /// Why.
        source: std::io::Error,
    },
    /// The target URL is not usable.
    #[error(transparent)]
    Client(#[from] crate::scim::client::ClientError),
    /// The state directory could not be read, or what it holds does not rebuild.
    #[error(transparent)]
    State(#[from] state::StateError),
}

/// A running tenant.
#[derive(Debug)]
pub struct TenantHandle {
    url: String,
    credentials: Credentials,
    shared: Arc<shared::Shared>,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    job: std::thread::JoinHandle<()>,
}

impl TenantHandle {
    /// `http://127.0.0.1:PORT`: Graph is under `/v1.0` and `/beta`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The tenant id, client id and secret to get a token with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The ids of the tenant, its application and the job.
    pub fn identity(&self) -> &TenantIdentity {
        &self.shared.identity
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.url, self.shared.identity.tenant_id)
    }

    /// The endpoint the job provisions.
    pub fn target(&self) -> shared::TargetInfo {
        shared::read(&self.shared.target).clone()
    }

    /// A listener of the job's live events.
    pub fn subscribe(&self) -> tokio::sync::mpsc::UnboundedReceiver<crate::engine::result::Event> {
        self.shared.events.subscribe()
    }

    /// A bearer token for Graph and the control routes (what the portal uses).
    pub fn issue_token(&self) -> String {
        self.shared.tokens.issue()
    }

    /// Stops serving and the job; the embedded endpoint stops with it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let job = self.job;
        let _ = tokio::task::spawn_blocking(move || job.join()).await;
        self.server.abort();
        let _ = self.server.await;
    }
}

/// Starts the tenant: the endpoint (embedded unless the config names a target), the job (Test Connection,
/// then the initial cycle at once), and Graph with the control routes on `config.addr`.
pub async fn start(mut config: TenantConfig) -> Result<TenantHandle, TenantError> {
    let (state_dir, saved) = match &config.state_dir {
        Some(dir) => {
            let (state_dir, saved) = state::StateDir::open(dir)?;
            (Some(state_dir), saved)
        }
        None => (None, None),
    };
    if let (Some(saved), Some(state_dir)) = (&saved, &state_dir) {
        let path = state_dir.file();
        config.directory = saved
            .directory
            .rebuild()
            .map_err(|message| state::StateError::Directory { path: path.clone(), message })?;
        let text = serde_json::to_string(&saved.schema).unwrap_or_default();
        if let (Some(set), _) = crate::mapping::import_schema(&crate::diagnostic::SourceFile::new("saved schema", text))
        {
            config.mapping = set;
            config.schema = Some(saved.schema.clone());
        }
    }
    let (embedded, url, auth) = match config.target.clone() {
        Target::Embedded => {
            let server_config = ServerConfig { switches: config.switches.clone(), ..ServerConfig::default() };
            let handle = server::start(server_config).await.map_err(|e| TenantError::Endpoint(e.to_string()))?;
            if let Some(endpoint) = saved.as_ref().and_then(|s| s.endpoint.clone()) {
                let restore = |kind, resources| {
                    handle.restore(kind, resources).map_err(|e| {
                        TenantError::Endpoint(format!("restoring its {kind:?}s: {}", e.detail.unwrap_or_default()))
                    })
                };
                restore(server::ResourceType::User, endpoint.users)?;
                restore(server::ResourceType::Group, endpoint.groups)?;
            }
            let (url, token) = (handle.url().to_string(), handle.token().to_string());
            (Some(handle), url, Auth::Bearer(Secret::new(token)))
        }
        Target::Url { url, auth } => (None, url, auth),
    };
    let mut client_config = ClientConfig::new(url.clone(), auth);
    client_config.timeout = config.connection.timeout;
    client_config.forward_flag = config.connection.forward_flag;
    let client = Client::new(client_config)?;
    client.transcript().keep_whole_only_last(shared::EXCHANGE_CAPACITY);
    let dialect = config.connection.dialect.unwrap_or_else(|| Dialect::from_flag(client.tenant().flag));
    let base_url = client.tenant().base.clone();

    let start_at = saved.as_ref().map_or_else(crate::engine::clock::epoch, |s| s.clock);
    let scaled = Arc::new(ScaledClock::new(start_at, config.speed));
    if config.clock_paused {
        scaled.pause();
    }
    let clock = JobClock::new(scaled.clone());
    let engine = Engine::new(
        Actor::new(client, config.connection.max_retry_wait),
        dialect,
        config.settings.clone(),
        config.seed,
    )
    .with_clock(clock);
    let mut runner = Runner::new(engine, Lifetime::LongRunning);
    // A cycle's entries are packed as they are written, and only those the log keeps are handed over.
    runner.engine.pack_log = Some(shared::LOG_CAPACITY);
    let (mut identity, mut credentials) = identity::make(&config.name, config.client_secret.clone(), &config.directory);
    let mut log = std::collections::VecDeque::new();
    if let Some(saved) = saved {
        let engine = &mut runner.engine;
        engine.cycles = saved.job.cycles;
        engine.job = saved.job.schedule;
        engine.cds = saved.job.cds;
        engine.aliases = crate::engine::state::Aliases::from_list(saved.job.aliases);
        engine.evaluations = saved.job.evaluations.into();
        engine.legacy_member_removals = saved.job.legacy_member_removals;
        runner.resume_from(saved.job.paused, saved.job.status);
        identity = saved.identity.identity();
        if let Some(secret) = &config.client_secret {
            identity.client_secret_sha256 = crate::graph::secret_sha256(secret.expose());
        }
        credentials = identity::restored(&identity, config.client_secret.clone());
        let mut names = crate::engine::log::packed::NameLists::default();
        log = saved.log.iter().map(|l| Arc::new(l.entry(&mut names))).collect();
    }
    let schema = config.schema.clone().unwrap_or_else(|| crate::mapping::export_schema(&config.mapping));
    let (commands, receiver) = mpsc::unbounded_channel();
    let shared = Arc::new(shared::Shared {
        identity,
        directory: RwLock::new(config.directory.clone()),
        clock: scaled,
        status: runner.status().clone(),
        // The runner's own events reach listeners through `job::forward_events`.
        events: crate::engine::runner::EventHub::default(),
        log: Mutex::new(log),
        exchanges: Mutex::default(),
        schema: RwLock::new(schema),
        mapping: RwLock::new(Arc::new(config.mapping.clone())),
        target: RwLock::new(shared::TargetInfo { url, dialect: dialect.name().into(), embedded: embedded.is_some() }),
        connection: RwLock::new(None),
        tokens: Arc::new(crate::graph::TokenStore::default()),
        commands,
    });

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| TenantError::Bind { addr: config.addr, source })?;
    let local = listener.local_addr().map_err(|source| TenantError::Bind { addr: config.addr, source })?;
    let backend: Arc<dyn crate::graph::Backend> = Arc::new(TenantBackend(shared.clone()));
    let tokens = shared.tokens.clone();
    let portal = crate::portal::router(crate::portal::PortalConfig {
        access_token: Arc::new(move || tokens.issue()),
        service_principal_id: shared.identity.service_principal_id.clone(),
        job_id: shared.identity.job_id.clone(),
        tenant_id: shared.identity.tenant_id.clone(),
        app_name: shared.identity.display_name.clone(),
    });
    let app = crate::graph::router_with_tokens(backend, shared.tokens.clone())
        .merge(control::router(shared.clone()))
        .merge(portal);
    let (stop, stopped) = watch::channel(false);
    let mut server_stop = stopped.clone();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.changed().await;
        };
        // A failed accept loop ends the tenant's serving; the job goes on until shutdown.
        let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    });
    let job_clock = runner.engine.clock.clone();
    let task = job::JobTask {
        runner,
        mapper: Arc::new(SetMapper::new(config.mapping, config.seed).with_clock(job_clock)),
        shared: shared.clone(),
        commands: receiver,
        embedded,
        connection: config.connection,
        seed: config.seed,
        exchanges_seen: 0,
        base_url,
        state: state_dir,
        test_first: true,
        recorded: watch::channel(0).0,
        names: Default::default(),
    };
    let job = task.spawn(stopped).map_err(|source| TenantError::Job { source })?;
    Ok(TenantHandle { url: format!("http://{local}"), credentials, shared, stop, server, job })
}
