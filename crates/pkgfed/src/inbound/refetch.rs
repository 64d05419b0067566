//! How often a cached signer key may be re-fetched because a signature did not verify
//! with it: once per key per [`REFETCH_INTERVAL_MS`]. A remote actor that rotated its
//! key is picked up on its first new-key request; a flood of badly signed requests
//! naming a real actor's key costs its server at most one fetch a minute (the
//! per-host limits of `crate::web::limits` bound the rest).

use std::collections::HashMap;
use std::sync::Mutex;

/// Least time between two re-fetches of one key after a failed verification.
pub const REFETCH_INTERVAL_MS: i64 = 60_000;

/// Most keys remembered; when full, the entries older than the interval are dropped
/// (and, if all are recent, the oldest half).
const MAX_TRACKED: usize = 10_000;

/// When each key was last re-fetched after a failure (Unix ms).
#[derive(Debug, Default)]
pub struct KeyRefetches(Mutex<HashMap<String, i64>>);

impl KeyRefetches {
    /// Whether `key_id` may be re-fetched now; records the re-fetch when it may.
    pub fn allow(&self, key_id: &str, now_ms: i64) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return true;
        };
        if let Some(&at) = seen.get(key_id)
            && now_ms - at < REFETCH_INTERVAL_MS
        {
            return false;
        }
        if seen.len() >= MAX_TRACKED && !seen.contains_key(key_id) {
            seen.retain(|_, at| now_ms - *at < REFETCH_INTERVAL_MS);
            if seen.len() >= MAX_TRACKED {
                let mut times: Vec<i64> = seen.values().copied().collect();
                times.sort_unstable();
                let cut = times[times.len() / 2];
                seen.retain(|_, at| *at > cut);
            }
        }
        seen.insert(key_id.to_owned(), now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_interval_per_key() {
        let r = KeyRefetches::default();
        assert!(r.allow("https://a.example/u#k", 0));
        assert!(!r.allow("https://a.example/u#k", REFETCH_INTERVAL_MS - 1));
        assert!(
            r.allow("https://b.example/u#k", 1),
            "another key is independent"
        );
        assert!(r.allow("https://a.example/u#k", REFETCH_INTERVAL_MS));
    }

    #[test]
    fn memory_stays_bounded() {
        let r = KeyRefetches::default();
        for i in 0..(MAX_TRACKED * 3) {
            assert!(r.allow(&format!("k{i}"), i as i64));
        }
        assert!(r.0.lock().unwrap().len() <= MAX_TRACKED);
    }
}
