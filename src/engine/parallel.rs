//! CPU work of a cycle spread over the machine's cores: reading source users, evaluating their
//! mappings. Results come back in source order, so nothing downstream (requests, transcripts, logs)
//! depends on how the work was split. No requests are sent from here.

use std::ops::Range;

/// Fewer items than this run on the calling thread: a thread costs more than it saves.
const MIN_PARALLEL: usize = 256;

/// Threads a cycle spreads its CPU work over.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

/// Runs `work` over contiguous ranges of `0..n` on up to [`threads`] threads (the caller's among them)
/// and concatenates the results in range order.
pub fn map_ranges<T: Send>(n: usize, work: impl Fn(Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let threads = threads();
    if n < MIN_PARALLEL || threads == 1 {
        return work(0..n);
    }
    let size = n.div_ceil(threads);
    let ranges: Vec<Range<usize>> = (0..n).step_by(size).map(|start| start..(start + size).min(n)).collect();
    std::thread::scope(|scope| {
        let work = &work;
        let (first, rest) = ranges.split_first().expect("invariant: n > 0 gives at least one range");
        let handles: Vec<_> = rest.iter().cloned().map(|r| scope.spawn(move || work(r))).collect();
        let mut out = work(first.clone());
        for handle in handles {
            // A panic in a worker is a bug in the work itself: surface it where it would have happened.
            out.extend(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        out
    })
}

/// Runs `work` over contiguous chunks of `items` on up to [`threads`] threads (the caller's among them),
/// each with the position of its first item, and returns the results in chunk order: `map_ranges` for work
/// that updates a slice in place.
pub fn map_chunks_mut<T: Send, R: Send>(items: &mut [T], work: impl Fn(usize, &mut [T]) -> R + Sync) -> Vec<R> {
    let threads = threads();
    if items.len() < MIN_PARALLEL || threads == 1 {
        return vec![work(0, items)];
    }
    let size = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let work = &work;
        let mut chunks = items.chunks_mut(size).enumerate();
        let (_, first) = chunks.next().expect("invariant: a long slice has a first chunk");
        let handles: Vec<_> = chunks.map(|(i, chunk)| scope.spawn(move || work(i * size, chunk))).collect();
        let mut out = vec![work(0, first)];
        for handle in handles {
            out.push(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order_whatever_the_split() {
        for n in [0, 1, 255, 256, 1000, 1001] {
            let squares = map_ranges(n, |r| r.map(|i| i * i).collect());
            assert_eq!(squares, (0..n).map(|i| i * i).collect::<Vec<_>>(), "n = {n}");
        }
    }

    #[test]
    fn chunks_are_updated_in_place_and_know_their_position() {
        for n in [0, 1, 255, 256, 1000, 1001] {
            let mut items = vec![0; n];
            let counts = map_chunks_mut(&mut items, |start, chunk| {
                for (offset, item) in chunk.iter_mut().enumerate() {
                    *item = start + offset;
                }
                chunk.len()
            });
            assert_eq!(items, (0..n).collect::<Vec<_>>(), "n = {n}");
            assert_eq!(counts.iter().sum::<usize>(), n);
        }
    }
}
