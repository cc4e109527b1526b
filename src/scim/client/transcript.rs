//! Where exchanges are kept: the [`Transcript`] shared by the client and the engine, whole, lean (a
//! [`RequestRecord`] each) or lean with the most recent ones whole, and the exchanges concurrent work holds
//! back ([`Held`]) to append in a fixed order.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::exchange::Exchange;
use super::record::RequestRecord;
use super::Method;

/// Exchanges as stored: whole, as lean records, or as records with the last few also whole.
#[derive(Debug)]
enum Store {
    Full(Vec<Exchange>),
    Lean(Vec<RequestRecord>),
    Recent(Recent),
}

/// A record of every exchange, and the last `keep` exchanges whole.
#[derive(Debug)]
struct Recent {
    records: Vec<RequestRecord>,
    whole: VecDeque<Exchange>,
    keep: usize,
}

impl Recent {
    /// The index of the oldest exchange kept whole.
    fn first_whole(&self) -> usize {
        self.records.len() - self.whole.len()
    }
}

impl Store {
    fn len(&self) -> usize {
        match self {
            Store::Full(v) => v.len(),
            Store::Lean(v) => v.len(),
            Store::Recent(r) => r.records.len(),
        }
    }

    /// Stores `exchange` at the end; returns its index.
    fn push(&mut self, exchange: &Exchange) -> usize {
        let index = self.len();
        match self {
            Store::Full(v) => v.push(Exchange { index, ..exchange.clone() }),
            Store::Lean(v) => v.push(RequestRecord::of(exchange)),
            Store::Recent(r) => {
                r.records.push(RequestRecord::of(exchange));
                r.whole.push_back(Exchange { index, ..exchange.clone() });
                if r.whole.len() > r.keep {
                    r.whole.pop_front();
                }
            }
        }
        index
    }

    /// The exchanges from index `start` on; a store that keeps only the last few whole has only those.
    fn since(&self, start: usize) -> Vec<Exchange> {
        match self {
            Store::Full(v) => v.get(start..).map(<[Exchange]>::to_vec).unwrap_or_default(),
            Store::Lean(v) => v
                .get(start..)
                .map(|rs| rs.iter().enumerate().map(|(i, r)| r.exchange(start + i)).collect())
                .unwrap_or_default(),
            Store::Recent(r) => r.whole.iter().skip(start.saturating_sub(r.first_whole())).cloned().collect(),
        }
    }

    fn records(&self) -> Vec<RequestRecord> {
        match self {
            Store::Full(v) => v.iter().map(RequestRecord::of).collect(),
            Store::Lean(v) | Store::Recent(Recent { records: v, .. }) => v.clone(),
        }
    }

    /// The same kind of store, empty.
    fn emptied(&self) -> Store {
        match self {
            Store::Full(_) => Store::Full(Vec::new()),
            Store::Lean(_) => Store::Lean(Vec::new()),
            Store::Recent(r) => Store::Recent(Recent { records: Vec::new(), whole: VecDeque::new(), keep: r.keep }),
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

    /// From now on keeps a record of every exchange and only the last `keep` exchanges whole: a job that runs
    /// for days shows its recent traffic, and a cycle of 100,000 users does not hold 300,000 bodies. What the
    /// transcript held so far is let go.
    pub fn keep_whole_only_last(&self, keep: usize) {
        *self.store() = Store::Recent(Recent { records: Vec::new(), whole: VecDeque::new(), keep });
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
            (to @ Store::Recent(_), Store::Full(from)) => from.iter().for_each(|e| _ = to.push(e)),
            (to @ Store::Recent(_), Store::Lean(from)) => {
                from.iter().enumerate().for_each(|(i, r)| _ = to.push(&r.exchange(base + i)))
            }
            (to, Store::Recent(from)) => from.whole.iter().for_each(|e| _ = to.push(e)),
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
            Store::Recent(r) => {
                let whole: Vec<Exchange> =
                    r.whole.iter().skip(start.saturating_sub(r.first_whole())).cloned().collect();
                f(&whole)
            }
        }
    }

    /// A copy of the exchanges from index `start` on.
    pub fn since(&self, start: usize) -> Vec<Exchange> {
        self.store().since(start)
    }

    /// The exchange at `index`, if the transcript still has it.
    pub fn get(&self, index: usize) -> Option<Exchange> {
        self.store().since(index).into_iter().next().filter(|e| e.index == index)
    }

    /// The records of every exchange so far (lean or not).
    pub fn records(&self) -> Vec<RequestRecord> {
        self.store().records()
    }

    /// The records of every exchange, taken out of a lean transcript (which starts again from index 0)
    /// instead of copied; a full transcript's are made from its exchanges, which it keeps.
    pub fn take_records(&self) -> Vec<RequestRecord> {
        let mut store = self.store();
        match &mut *store {
            Store::Lean(v) => std::mem::take(v),
            other => other.records(),
        }
    }

    /// How many exchanges from index `start` on changed something (any method but GET).
    pub fn writes_since(&self, start: usize) -> usize {
        let is_write = |m: Method| m != Method::Get;
        match &*self.store() {
            Store::Full(v) => v.get(start..).map_or(0, |s| s.iter().filter(|e| is_write(e.method)).count()),
            Store::Lean(v) | Store::Recent(Recent { records: v, .. }) => {
                v.get(start..).map_or(0, |s| s.iter().filter(|r| is_write(r.method())).count())
            }
        }
    }

    /// Takes every exchange out (those it still has whole, for a transcript that keeps only the last few):
    /// the transcript starts again from index 0. A job that runs for days hands each cycle's exchanges on
    /// this way instead of keeping them all.
    pub fn take(&self) -> Vec<Exchange> {
        let mut store = self.store();
        let emptied = store.emptied();
        match std::mem::replace(&mut *store, emptied) {
            Store::Full(v) => v,
            Store::Recent(r) => r.whole.into(),
            lean @ Store::Lean(_) => lean.since(0),
        }
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
    async fn a_transcript_of_recent_exchanges_counts_all_and_keeps_the_last_whole() {
        let recent = Transcript::new();
        recent.push(exchange(Method::Get, "/Users/before", ""));
        recent.keep_whole_only_last(2);
        assert!(recent.is_empty(), "what it held before is let go");
        recent.push(exchange(Method::Post, "/Users", ""));
        let ((), held) = Transcript::deferred(async {
            recent.push(exchange(Method::Patch, "/Users/a", ""));
            recent.push(exchange(Method::Get, "/Users/b", ""));
        })
        .await;
        assert_eq!(recent.append(held), 1);
        assert_eq!((recent.len(), recent.writes_since(0), recent.records().len()), (3, 2, 3));
        let kept: Vec<(usize, String)> = recent.since(0).into_iter().map(|e| (e.index, e.path)).collect();
        assert_eq!(kept, [(1, "/Users/a".into()), (2, "/Users/b".into())]);
        assert!(recent.get(0).is_none() && recent.get(2).is_some_and(|e| e.request_body.is_some()));
        assert_eq!(recent.inspect_since(2, <[Exchange]>::len), 1);
        assert_eq!(recent.take().len(), 2);
        recent.push(exchange(Method::Delete, "/Users/c", ""));
        assert_eq!((recent.len(), recent.get(0).map(|e| e.path)), (1, Some("/Users/c".into())), "still recent-only");
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
