//! Latency figures per request kind: count, p50 and p99 over recorded durations.

use std::collections::BTreeMap;
use std::time::Duration;

/// Durations grouped by request kind (`GET filter`, `POST`, `PATCH`, …).
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    by_kind: BTreeMap<String, Vec<Duration>>,
}

/// Figures of one request kind.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KindFigures {
    /// The request kind.
    pub kind: String,
    /// Requests of this kind.
    pub count: usize,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th-percentile latency in milliseconds.
    pub p99_ms: f64,
}

impl Latencies {
    /// Records one request.
    pub fn record(&mut self, kind: &str, duration: Duration) {
        self.by_kind.entry(kind.to_string()).or_default().push(duration);
    }

    /// Total requests recorded.
    pub fn total(&self) -> usize {
        self.by_kind.values().map(Vec::len).sum()
    }

    /// Figures per kind, sorted by kind.
    pub fn figures(&self) -> Vec<KindFigures> {
        self.by_kind
            .iter()
            .map(|(kind, durations)| {
                let mut sorted = durations.clone();
                sorted.sort_unstable();
                KindFigures {
                    kind: kind.clone(),
                    count: sorted.len(),
                    p50_ms: ms(percentile(&sorted, 50.0)),
                    p99_ms: ms(percentile(&sorted, 99.0)),
                }
            })
            .collect()
    }
}

/// The nearest-rank percentile of sorted durations (zero for none).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&[], 99.0), Duration::ZERO);
    }
}
