//! Where exchanges are kept: the [`Transcript`] shared by the client and the engine, whole or lean (a
//! [`RequestRecord`] each), and the exchanges concurrent work holds back ([`Held`]) to append in a fixed
//! order.

use std::sync::{Arc, Mutex};

use super::exchange::Exchange;
use super::record::RequestRecord;
use super::Method;

/// Exchanges as stored: whole, or as lean records.
#[derive(Debug)]
enum Store {
    Full(Vec<Exchange>),
    Lean(Vec<RequestRecord>),
}

impl Store {
    fn len(&self) -> usize {
        match self {
            Store::Full(v) => v.len(),
            Store::Lean(v) => v.len(),
        }
    }

    /// Stores `exchange` at the end; returns its index.
    fn push(&mut self, exchange: &Exchange) -> usize {
        let index = self.len();
        match self {
            Store::Full(v) => v.push(Exchange { index, ..exchange.clone() }),
            Store::Lean(v) => v.push(RequestRecord::of(exchange)),
        }
        index
    }

    fn since(&self, start: usize) -> Vec<Exchange> {
        match self {
            Store::Full(v) => v.get(start..).map(<[Exchange]>::to_vec).unwrap_or_default(),
            Store::Lean(v) => v
                .get(start..)
                .map(|rs| rs.iter().enumerate().map(|(i, r)| r.exchange(start + i)).collect())
                .unwrap_or_default(),
        }
    }
}

/// Exchanges held back by [`Transcript::deferred`], to be appended with [`Transcript::append`].
#[derive(Debug)]
pub struct Held(Store);

/// Every exchange of a run, shared between the client and the engine. Cheap to clone (shared storage).
///
/// A lean transcript ([`Transcript::lean`]) keeps a [`RequestRecord`] per exchange instead: for runs with
/// hundreds of thousands of requests, where paths and bodies would dominate memory.
///
/// Work done concurrently keeps the transcript deterministic through [`Transcript::deferred`]: inside it,
/// exchanges are held back with indices counted from 0, and the caller appends them with
/// [`Transcript::append`] in a fixed order (source order), whatever order the requests completed in.
#[derive(Debug, Clone)]
pub struct Transcript {
    inner: Arc<Mutex<Store>>,
    lean: bool,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript { inner: Arc::new(Mutex::new(Store::Full(Vec::new()))), lean: false }
    }
}

tokio::task_local! {
    /// Exchanges held back by [`Transcript::deferred`] for the future being polled.
    static DEFERRED: std::cell::RefCell<Option<Store>>;
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transcript that keeps a [`RequestRecord`] per exchange (method, kind, status and duration).
    pub fn lean() -> Self {
        Transcript { inner: Arc::new(Mutex::new(Store::Lean(Vec::new()))), lean: true }
    }

    fn empty_store(&self) -> Store {
        if self.lean {
            Store::Lean(Vec::new())
        } else {
            Store::Full(Vec::new())
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn push(&self, mut exchange: Exchange) -> Exchange {
        let held = DEFERRED.try_with(|held| {
            let mut held = held.borrow_mut();
            held.get_or_insert_with(|| self.empty_store()).push(&exchange)
        });
        exchange.index = match held {
            Ok(index) => index,
            Err(_) => self.store().push(&exchange),
        };
        exchange
    }

    /// Runs `work`, holding back the exchanges it records; returns its output and those exchanges, indexed
    /// from 0 in the order they were sent.
    pub async fn deferred<F: std::future::Future>(work: F) -> (F::Output, Held) {
        DEFERRED
            .scope(std::cell::RefCell::new(None), async move {
                let out = work.await;
                let held = DEFERRED.with(|held| held.take()).unwrap_or(Store::Full(Vec::new()));
                (out, Held(held))
            })
            .await
    }

    /// Appends exchanges held back by [`Transcript::deferred`]; returns the index the first one now has
    /// (add it to every index the deferred work handed out).
    pub fn append(&self, held: Held) -> usize {
        let mut guard = self.store();
        let base = guard.len();
        match (&mut *guard, held.0) {
            (Store::Full(to), Store::Full(from)) => {
                to.extend(from.into_iter().enumerate().map(|(i, e)| Exchange { index: base + i, ..e }))
            }
            (Store::Lean(to), Store::Lean(from)) => to.extend(from),
            (Store::Lean(to), Store::Full(from)) => to.extend(from.iter().map(RequestRecord::of)),
            (Store::Full(to), Store::Lean(from)) => {
                to.extend(from.iter().enumerate().map(|(i, r)| r.exchange(base + i)))
            }
        }
        base
    }

    /// A copy of the exchanges so far (in a lean transcript, as far as the records know them).
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.since(0)
    }

    /// Calls `f` with the exchanges from index `start` on, without copying them; a lean transcript has
    /// none to show (its records carry no headers or bodies).
    pub fn inspect_since<R>(&self, start: usize, f: impl FnOnce(&[Exchange]) -> R) -> R {
        match &*self.store() {
            Store::Full(v) => f(v.get(start..).unwrap_or_default()),
            Store::Lean(_) => f(&[]),
        }
    }

    /// A copy of the exchanges from index `start` on.
    pub fn since(&self, start: usize) -> Vec<Exchange> {
        self.store().since(start)
    }

    /// The exchange at `index`, if any.
    pub fn get(&self, index: usize) -> Option<Exchange> {
        self.store().since(index).into_iter().next()
    }

    /// The records of every exchange so far (lean or not).
    pub fn records(&self) -> Vec<RequestRecord> {
        match &*self.store() {
            Store::Full(v) => v.iter().map(RequestRecord::of).collect(),
            Store::Lean(v) => v.clone(),
        }
    }

    /// The records of every exchange, taken out of a lean transcript (which starts again from index 0)
    /// instead of copied; a full transcript's are made from its exchanges, which it keeps.
    pub fn take_records(&self) -> Vec<RequestRecord> {
        let mut store = self.store();
        match &mut *store {
            Store::Full(v) => v.iter().map(RequestRecord::of).collect(),
            Store::Lean(v) => std::mem::take(v),
        }
    }

    /// How many exchanges from index `start` on changed something (any method but GET).
    pub fn writes_since(&self, start: usize) -> usize {
        let is_write = |m: Method| m != Method::Get;
        match &*self.store() {
            Store::Full(v) => v.get(start..).map_or(0, |s| s.iter().filter(|e| is_write(e.method)).count()),
            Store::Lean(v) => v.get(start..).map_or(0, |s| s.iter().filter(|r| is_write(r.method())).count()),
        }
    }

    /// Takes every exchange out: the transcript starts again from index 0. A job that runs for days hands
    /// each cycle's exchanges on this way instead of keeping them all.
    pub fn take(&self) -> Vec<Exchange> {
        let mut store = self.store();
        let taken = store.since(0);
        *store = self.empty_store();
        taken
    }

    /// True for a lean transcript.
    pub fn is_lean(&self) -> bool {
        self.lean
    }

    /// Number of exchanges so far.
    pub fn len(&self) -> usize {
        self.store().len()
    }

    /// True when nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::exchange::sample as exchange;
    use super::*;

    #[test]
    fn a_lean_transcript_keeps_records_in_order_without_bodies() {
        let lean = Transcript::lean();
        lean.push(exchange(Method::Get, "/Users", "filter=x"));
        lean.push(exchange(Method::Post, "/Users", ""));
        assert_eq!(lean.len(), 2);
        assert_eq!(lean.writes_since(0), 1);
        let kinds: Vec<&str> = lean.records().iter().map(RequestRecord::kind).collect();
        assert_eq!(kinds, ["GET /Users?filter", "POST /Users"]);
        let second = lean.get(1).expect("second exchange");
        assert_eq!((second.index, second.path.as_str(), second.request_body.is_none()), (1, "/Users", true));
        let taken = lean.take_records();
        assert_eq!((taken.len(), taken[1].duration(), taken[1].status()), (2, Duration::from_millis(3), Some(200)));
        assert!(lean.is_empty(), "taken out, not copied");
    }

    #[tokio::test]
    async fn deferred_exchanges_are_appended_in_the_order_given() {
        let full = Transcript::new();
        full.push(exchange(Method::Get, "/Users/first", ""));
        let ((), held) = Transcript::deferred(async {
            full.push(exchange(Method::Patch, "/Users/a", ""));
            full.push(exchange(Method::Delete, "/Users/b", ""));
        })
        .await;
        assert_eq!(full.len(), 1, "held back until appended");
        assert_eq!(full.append(held), 1);
        let paths: Vec<(usize, String)> = full.exchanges().into_iter().map(|e| (e.index, e.path)).collect();
        assert_eq!(paths, [(0, "/Users/first".into()), (1, "/Users/a".into()), (2, "/Users/b".into())]);
        assert!(full.exchanges()[1].request_body.is_some(), "a full transcript keeps bodies");
    }
}
