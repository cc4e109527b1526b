//! Work with requests in flight: futures run concurrently up to a limit, their outputs handed back in
//! the order the futures were given, so transcripts and logs do not depend on which answer came first.
//!
//! A finished future frees its slot at once, whatever the futures before it are doing. Keeping slots
//! until every earlier future had finished (`StreamExt::buffered`) let one slow answer hold up the
//! others: the 100,000-user benchmark's queries and creates took 6.0 s that way and 4.1 s this way.

use std::future::Future;

use futures::StreamExt;

/// Runs `futures` with at most `limit` of them in flight (at least one) and returns their outputs in the
/// order given.
pub(crate) async fn in_order<F: Future>(futures: impl IntoIterator<Item = F>, limit: usize) -> Vec<F::Output> {
    let numbered = futures.into_iter().enumerate().map(|(i, future)| {
        // Boxed once, here: the stream and its task list then move a pointer instead of the future (a
        // request's future is over 6 KB, and each move copies all of it).
        let future = Box::pin(future);
        async move { (i, future.await) }
    });
    let mut done: Vec<(usize, F::Output)> =
        futures::stream::iter(numbered).buffer_unordered(limit.max(1)).collect().await;
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, output)| output).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn outputs_keep_the_given_order_when_later_futures_finish_first() {
        let delays = [30u64, 10, 20, 0, 5];
        let outputs = in_order(
            delays.iter().map(|&ms| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                ms
            }),
            3,
        )
        .await;
        assert_eq!(outputs, delays);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_future_does_not_hold_the_other_slots() {
        // One future takes 100 ms; nine take 10 ms each. Two slots: the nine go through the other slot
        // while the slow one waits, so all ten are done by 100 ms (holding slots in order would take 140).
        let started = tokio::time::Instant::now();
        let delays = std::iter::once(100u64).chain(std::iter::repeat_n(10, 9));
        in_order(delays.map(|ms| tokio::time::sleep(Duration::from_millis(ms))), 2).await;
        assert_eq!(started.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test]
    async fn never_more_than_the_limit_in_flight() {
        let (now, peak) = (Cell::new(0), Cell::new(0));
        in_order(
            (0..50).map(|_| async {
                now.set(now.get() + 1);
                peak.set(peak.get().max(now.get()));
                tokio::task::yield_now().await;
                now.set(now.get() - 1);
            }),
            4,
        )
        .await;
        assert_eq!(peak.get(), 4);
    }
}
