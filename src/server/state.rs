//! The running endpoint's shared state: the store behind its lock, the switches and fault injection in
//! effect, the request counter the fault draws use, and the limits. Store locks are taken inside synchronous
//! helpers only ([`AppState::read`], [`AppState::write`]), never across an `.await`.

use std::sync::atomic::AtomicU64;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::server::auth::Bearer;
use crate::server::defects::Tombstones;
use crate::server::store::{Store, StoreOptions};
use crate::server::switches::{FaultRates, Switches};

/// The path under which the SCIM endpoints live.
pub(crate) const BASE_PATH: &str = "/scim/v2";

/// How long a simulated timeout hangs at most.
pub(crate) const HANG: Duration = Duration::from_secs(120);

/// Shared state of the running endpoint.
pub(crate) struct AppState {
    pub store: RwLock<Store>,
    /// Shapes request bodies outside the store lock.
    pub shaping: StoreOptions,
    pub bearer: Bearer,
    pub switches: Switches,
    /// The fault injection in effect: starts as the switches', changed by `ServerHandle::set_faults`.
    pub faults: RwLock<FaultRates>,
    pub requests: AtomicU64,
    pub shutdown: watch::Receiver<bool>,
    pub base_url: String,
    pub max_results: usize,
    pub max_body_bytes: usize,
    /// Deleted ids, for the DELETE defect switches.
    pub tombstones: Tombstones,
}

impl AppState {
    /// The store for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store for writing.
    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }
}
