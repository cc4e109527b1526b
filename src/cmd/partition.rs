//! `--partition K/N`: CI jobs that split one suite between them, each running a stable share of the files.

use std::path::PathBuf;

use crate::error::Error;

/// Keeps part `K` of `N` (1-based) of `paths`, which must already be in a stable order: the i-th path
/// goes to part `i mod N + 1`, so every path lands in exactly one part whatever N is.
pub fn partition(paths: Vec<PathBuf>, spec: &str) -> Result<Vec<PathBuf>, Error> {
    let parsed = spec
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<usize>().ok()?, n.trim().parse::<usize>().ok()?)));
    let (k, n) = match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => (k, n),
        _ => return Err(Error::Other(format!("--partition expects K/N with 1 <= K <= N, got `{spec}`"))),
    };
    Ok(paths.into_iter().enumerate().filter(|(i, _)| i % n == k - 1).map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_cover_every_path_once() {
        let paths: Vec<PathBuf> = (0..7).map(|i| PathBuf::from(format!("s{i}.toml"))).collect();
        let mut all: Vec<PathBuf> =
            (1..=3).flat_map(|k| partition(paths.clone(), &format!("{k}/3")).unwrap()).collect();
        all.sort();
        assert_eq!(all, paths);
        assert_eq!(partition(paths.clone(), "1/3").unwrap().len(), 3);
    }

    #[test]
    fn partition_rejects_nonsense() {
        for bad in ["0/3", "4/3", "x", "1/0", "2"] {
            assert!(partition(vec![], bad).is_err(), "{bad}");
        }
    }
}
