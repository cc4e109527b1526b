//! Numbers unique in the process, for caches that compare versions: a directory user's stamp, a mapper's
//! revision, a connector data store map's version. One counter serves them all; nothing reads meaning
//! into the numbers beyond "never handed out before". They start at 1, so 0 can stand for "none".

use std::sync::atomic::{AtomicU64, Ordering};

/// A number no earlier call returned.
pub fn next() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_never_repeated_and_never_zero() {
        let (a, b) = (super::next(), super::next());
        assert!(a != 0 && b > a);
    }
}
