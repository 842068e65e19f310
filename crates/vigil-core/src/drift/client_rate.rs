//! The ingest endpoint's rate limit per client: a token bucket for each client address, holding
//! one second of requests and filled at the limit's rate, so a burst up to the limit passes and
//! a flood is refused (429) before its body is read. Buckets of clients gone quiet are
//! forgotten, so a crowd of addresses cannot grow the table without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Requests a second one client may send unless told otherwise: twice a busy logger's events
/// (KServe's broker posts a request and a response per inference, from one address).
pub const DEFAULT_PER_SECOND: u32 = 20_000;
/// The most clients remembered; past it, those whose buckets are full again are forgotten.
const MAX_CLIENTS: usize = 4_096;

/// The limit, and each client's bucket.
pub struct ClientRate {
    /// Requests a second; 0: no limit.
    per_second: AtomicU32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl ClientRate {
    pub fn new(per_second: u32) -> ClientRate {
        ClientRate { per_second: AtomicU32::new(per_second), buckets: Mutex::default() }
    }

    /// Requests a second each client may send from now on; 0 lifts the limit.
    pub fn set(&self, per_second: u32) {
        self.per_second.store(per_second, Ordering::Relaxed);
    }

    pub fn per_second(&self) -> u32 {
        self.per_second.load(Ordering::Relaxed)
    }

    /// Whether a request from `client` at `now` is within the limit (it is then counted).
    pub fn admit(&self, client: IpAddr, now: Instant) -> bool {
        let rate = f64::from(self.per_second());
        if rate == 0.0 {
            return true;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            buckets.retain(|_, bucket| bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate < rate);
        }
        let bucket = buckets.entry(client).or_insert(Bucket { tokens: rate, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(rate);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            return false;
        }
        bucket.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_client_gets_a_second_of_requests_at_once_then_the_rate_and_others_are_not_held_back() {
        let limit = ClientRate::new(100);
        let (greedy, other): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        assert_eq!((0..150).filter(|_| limit.admit(greedy, start)).count(), 100, "a second's burst");
        assert!(limit.admit(other, start), "another client has its own bucket");
        let later = start + Duration::from_millis(500);
        assert_eq!((0..100).filter(|_| limit.admit(greedy, later)).count(), 50, "half a second refills half");
        limit.set(0);
        assert!((0..10_000).all(|_| limit.admit(greedy, later)), "0 lifts the limit");
    }

    #[test]
    fn a_crowd_of_addresses_does_not_grow_the_table_past_its_bound() {
        let limit = ClientRate::new(10);
        let start = Instant::now();
        for n in 0..(MAX_CLIENTS as u32 * 3) {
            limit.admit(IpAddr::from(n.to_be_bytes()), start + Duration::from_secs(u64::from(n)));
        }
        let remembered = limit.buckets.lock().unwrap().len();
        assert!(remembered <= MAX_CLIENTS, "{remembered} clients remembered");
    }
}
