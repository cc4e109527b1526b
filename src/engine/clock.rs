//! The job's clock: the one place simulated time lives. The runner reads it to decide when a cycle is due
//! and moves it to each cycle's start; the escrow schedule, `Retry-After` handling and the mapping's `Now()`
//! read it too.
//!
//! Two clocks:
//! - [`SimulatedClock`]: time moves only when told (a scenario jumps from one cycle's start to the next,
//!   a `wait` step moves it on). Nothing waits for it.
//! - [`ScaledClock`]: simulated time runs `speed` times faster than real time from a start instant, can be
//!   paused, and can be moved on at once (the live tenant; tests pause it and advance it).
//!
//! A `Retry-After` is honoured the same way on both: the request really waits, bounded by the caller's cap
//! (the endpoint is a real one and asked for it), and the whole interval the endpoint named counts as
//! time the job spent waiting: a simulated clock keeps it until [`Clock::take_waited`] (the job's schedule
//! adds it to the next cycle's start); a scaled clock lets its own time pass.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// The instant simulated time starts at unless told otherwise: 2026-01-01T00:00:00Z (the same instant the
/// mapping's deterministic `Now()` starts from).
pub fn epoch() -> DateTime<Utc> {
    crate::mapping::fixed_now()
}

/// Simulated time, as the job sees it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current simulated time.
    fn now(&self) -> DateTime<Utc>;
    /// Lets `by` of simulated time pass at once.
    fn advance(&self, by: TimeDelta);
    /// Moves to `at` when that is later (simulated time never runs backwards).
    fn advance_to(&self, at: DateTime<Utc>);
    /// Real time to wait until simulated time reaches `at` (zero when it has; `None` when it never will by
    /// itself: a simulated clock, or a paused one).
    fn real_wait_until(&self, at: DateTime<Utc>) -> Option<Duration>;
    /// Records that a request waited `simulated` for a `Retry-After`.
    fn waited(&self, simulated: Duration);
    /// The `Retry-After` time recorded since the last call that the clock has not let pass by itself.
    fn take_waited(&self) -> Duration;
}

/// A shared handle on the job's clock.
#[derive(Clone)]
pub struct JobClock(Arc<dyn Clock>);

impl fmt::Debug for JobClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Default for JobClock {
    fn default() -> Self {
        JobClock::simulated()
    }
}

impl PartialEq for JobClock {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl JobClock {
    /// Wraps any clock.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        JobClock(clock)
    }

    /// A [`SimulatedClock`] at [`epoch`].
    pub fn simulated() -> Self {
        JobClock(Arc::new(SimulatedClock::default()))
    }

    /// The current simulated time.
    pub fn at(&self) -> DateTime<Utc> {
        self.0.now()
    }

    /// The current simulated time as ISO 8601 (seconds, `Z`).
    pub fn now(&self) -> String {
        self.at().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// Lets `by` pass at once.
    pub fn advance(&self, by: Duration) {
        self.0.advance(TimeDelta::from_std(by).unwrap_or(TimeDelta::zero()));
    }

    /// Moves to `at` (never backwards).
    pub fn set(&self, at: DateTime<Utc>) {
        self.0.advance_to(at);
    }

    /// The clock itself.
    pub fn clock(&self) -> &dyn Clock {
        &*self.0
    }

    /// Waits for a `Retry-After` of `wait`: really sleeps at most `real_cap`, and records the interval.
    pub async fn retry_after(&self, wait: Duration, real_cap: Duration) {
        self.0.waited(wait);
        tokio::time::sleep(wait.min(real_cap)).await;
    }

    /// Time spent waiting for `Retry-After` since the last call that the clock has not let pass by itself.
    pub fn take_waited(&self) -> Duration {
        self.0.take_waited()
    }
}

/// Simulated time that moves only when told.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<DateTime<Utc>>,
    waited_ms: AtomicU64,
}

impl Default for SimulatedClock {
    fn default() -> Self {
        SimulatedClock::starting_at(epoch())
    }
}

impl SimulatedClock {
    /// A clock reading `at`.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        SimulatedClock { now: Mutex::new(at), waited_ms: AtomicU64::new(0) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut DateTime<Utc>) -> T) -> T {
        // A poisoned lock only means a panic elsewhere while the time was being read or moved; the value
        // itself is always a valid instant.
        let mut guard = self.now.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        self.with(|now| *now)
    }

    fn advance(&self, by: TimeDelta) {
        self.with(|now| *now += by.max(TimeDelta::zero()));
    }

    fn advance_to(&self, at: DateTime<Utc>) {
        self.with(|now| *now = (*now).max(at));
    }

    fn real_wait_until(&self, at: DateTime<Utc>) -> Option<Duration> {
        (self.now() >= at).then_some(Duration::ZERO)
    }

    fn waited(&self, simulated: Duration) {
        self.waited_ms.fetch_add(u64::try_from(simulated.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn take_waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.swap(0, Ordering::Relaxed))
    }
}

/// Simulated time running `speed` times faster than real time; pausable; can jump ahead.
#[derive(Debug)]
pub struct ScaledClock {
    speed: f64,
    state: Mutex<Scaled>,
}

#[derive(Debug, Clone, Copy)]
struct Scaled {
    /// Simulated time at `real_origin`.
    sim_origin: DateTime<Utc>,
    /// When `sim_origin` was read; `None` while paused.
    real_origin: Option<Instant>,
}

impl ScaledClock {
    /// A running clock reading `at` now, `speed` simulated seconds per real second (at least 1e-3).
    pub fn new(at: DateTime<Utc>, speed: f64) -> Self {
        let speed = if speed.is_finite() { speed.max(1e-3) } else { 1.0 };
        ScaledClock { speed, state: Mutex::new(Scaled { sim_origin: at, real_origin: Some(Instant::now()) }) }
    }

    /// Simulated seconds per real second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    fn with<T>(&self, f: impl FnOnce(&mut Scaled) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    fn read(&self, s: &Scaled) -> DateTime<Utc> {
        match s.real_origin {
            None => s.sim_origin,
            Some(origin) => {
                let real = origin.elapsed().as_secs_f64() * self.speed;
                s.sim_origin + TimeDelta::milliseconds((real * 1000.0).min(i64::MAX as f64 / 2.0) as i64)
            }
        }
    }

    /// Stops simulated time (until [`ScaledClock::resume`]).
    pub fn pause(&self) {
        self.with(|s| {
            s.sim_origin = self.read(s);
            s.real_origin = None;
        });
    }

    /// Lets simulated time run again.
    pub fn resume(&self) {
        self.with(|s| {
            if s.real_origin.is_none() {
                s.real_origin = Some(Instant::now());
            }
        });
    }

    /// Whether simulated time is stopped.
    pub fn is_paused(&self) -> bool {
        self.with(|s| s.real_origin.is_none())
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        self.with(|s| self.read(s))
    }

    fn advance(&self, by: TimeDelta) {
        self.with(|s| s.sim_origin += by.max(TimeDelta::zero()));
    }

    fn advance_to(&self, at: DateTime<Utc>) {
        self.with(|s| {
            let now = self.read(s);
            if at > now {
                s.sim_origin += at - now;
            }
        });
    }

    fn real_wait_until(&self, at: DateTime<Utc>) -> Option<Duration> {
        self.with(|s| {
            let ahead = at - self.read(s);
            if ahead <= TimeDelta::zero() {
                return Some(Duration::ZERO);
            }
            s.real_origin?;
            let real = ahead.to_std().unwrap_or(Duration::MAX).as_secs_f64() / self.speed;
            Some(Duration::from_secs_f64(real.min(86_400.0 * 365.0)))
        })
    }

    fn waited(&self, _simulated: Duration) {
        // The request's real sleep lets this clock's own time pass (`speed` times faster).
    }

    fn take_waited(&self) -> Duration {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulated_clock_moves_only_forwards_and_only_when_told() {
        let clock = JobClock::simulated();
        let start = clock.at();
        assert_eq!(start, epoch());
        clock.advance(Duration::from_secs(60));
        clock.set(start);
        assert_eq!(clock.at() - start, TimeDelta::seconds(60), "never backwards");
        assert_eq!(clock.clock().real_wait_until(start + TimeDelta::hours(1)), None, "nothing waits for it");
        assert_eq!(clock.now(), "2026-01-01T00:01:00Z");
    }

    #[tokio::test]
    async fn a_retry_after_is_kept_for_the_schedule_and_slept_only_up_to_the_cap() {
        let clock = JobClock::simulated();
        let started = Instant::now();
        clock.retry_after(Duration::from_secs(30), Duration::from_millis(1)).await;
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(clock.take_waited(), Duration::from_secs(30));
        assert_eq!(clock.take_waited(), Duration::ZERO, "taken once");
    }

    #[test]
    fn a_paused_scaled_clock_stands_still_until_advanced() {
        let clock = ScaledClock::new(epoch(), 1000.0);
        clock.pause();
        let at = clock.now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now(), at);
        assert_eq!(clock.real_wait_until(at + TimeDelta::minutes(40)), None);
        clock.advance(TimeDelta::minutes(40));
        assert_eq!(clock.now(), at + TimeDelta::minutes(40));
        assert_eq!(clock.real_wait_until(at + TimeDelta::minutes(40)), Some(Duration::ZERO));
        clock.resume();
        std::thread::sleep(Duration::from_millis(5));
        assert!(clock.now() > at + TimeDelta::minutes(40), "runs again");
    }

    #[test]
    fn a_scaled_clock_converts_simulated_waits_into_real_ones() {
        let clock = ScaledClock::new(epoch(), 600.0);
        clock.pause();
        clock.resume();
        let wait = clock.real_wait_until(clock.now() + TimeDelta::minutes(40)).expect("running");
        assert!(wait <= Duration::from_secs(4) && wait > Duration::from_millis(3_900), "{wait:?}");
    }
}
