//! The container metadata cache the state stage reads on every event of a containerized
//! thread: a read lock and a hash lookup when the container is known; a unknown one is
//! queued for the runtime worker with `try_send` (never waiting) and answered `None` until
//! the worker fills it in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use falco_sinsp::state::container::{ContainerInfo, ContainerMetadata};
use tokio::sync::mpsc;

/// A lookup the event path asks for: short container id and the type its cgroups gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Short (12-character) id.
    pub id: String,
    /// `docker`, `podman`, `containerd`, `cri-o`.
    pub kind: &'static str,
}

/// Counters of the cache and its worker, for metrics and tests.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Lookups queued for the worker.
    pub requested: AtomicU64,
    /// Lookups not queued because the queue was full (retried on a later event).
    pub request_queue_full: AtomicU64,
    /// Lookups the runtimes answered.
    pub resolved: AtomicU64,
    /// Lookups no runtime answered (not found, failing or too slow).
    pub failed: AtomicU64,
    /// Entries removed because their container exited or was removed.
    pub removed: AtomicU64,
    /// Entries evicted because the cache was full.
    pub evicted: AtomicU64,
    /// Runtime sockets whose first connection ended: listed, or failed to connect.
    pub settled: AtomicU64,
    /// Bumped on every insert: a reader that copies the entries can tell when to look again.
    pub generation: AtomicU64,
}

/// A plain copy of [`CacheStats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheFigures {
    /// See [`CacheStats::requested`].
    pub requested: u64,
    /// See [`CacheStats::request_queue_full`].
    pub request_queue_full: u64,
    /// See [`CacheStats::resolved`].
    pub resolved: u64,
    /// See [`CacheStats::failed`].
    pub failed: u64,
    /// See [`CacheStats::removed`].
    pub removed: u64,
    /// See [`CacheStats::evicted`].
    pub evicted: u64,
    /// Entries now.
    pub entries: u64,
    /// Lookups queued or running now.
    pub pending: u64,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, (u64, Arc<ContainerInfo>)>,
    next_seq: u64,
}

/// Container metadata by short id, bounded, filled by the runtime worker.
#[derive(Debug)]
pub struct ContainerCache {
    entries: RwLock<Entries>,
    /// Ids asked for and when: the same id is not asked again before `retry_after`.
    pending: Mutex<HashMap<String, Instant>>,
    requests: mpsc::Sender<Request>,
    max_entries: usize,
    retry_after: Duration,
    /// Counters.
    pub stats: CacheStats,
}

/// Most lookups waiting for the worker; beyond, requests are dropped and retried later.
pub const REQUEST_QUEUE: usize = 1024;

impl ContainerCache {
    /// A cache of at most `max_entries` containers and the receiving end of its lookups.
    pub fn new(
        max_entries: usize,
        retry_after: Duration,
    ) -> (Arc<ContainerCache>, mpsc::Receiver<Request>) {
        let (tx, rx) = mpsc::channel(REQUEST_QUEUE);
        let c = ContainerCache {
            entries: RwLock::new(Entries::default()),
            pending: Mutex::new(HashMap::new()),
            requests: tx,
            max_entries: max_entries.max(1),
            retry_after,
            stats: CacheStats::default(),
        };
        (Arc::new(c), rx)
    }

    /// The entry for `id`, without asking anyone.
    pub fn get(&self, id: &str) -> Option<Arc<ContainerInfo>> {
        let e = self.entries.read().unwrap_or_else(|p| p.into_inner());
        e.map.get(id).map(|(_, c)| c.clone())
    }

    /// Stores what a runtime said; evicts the oldest entry when full.
    pub fn insert(&self, info: ContainerInfo) {
        let id = info.id.clone();
        {
            let mut e = self.entries.write().unwrap_or_else(|p| p.into_inner());
            if !e.map.contains_key(&id) && e.map.len() >= self.max_entries {
                // O(n) only when full, which a bounded cache with exits removed rarely is.
                if let Some(oldest) = e
                    .map
                    .iter()
                    .min_by_key(|(_, (s, _))| *s)
                    .map(|(k, _)| k.clone())
                {
                    e.map.remove(&oldest);
                    self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                }
            }
            let seq = e.next_seq;
            e.next_seq += 1;
            e.map.insert(id.clone(), (seq, Arc::new(info)));
        }
        self.stats.generation.fetch_add(1, Ordering::Release);
        self.pending_done(&id);
    }

    /// Forgets a container that exited or was removed.
    pub fn remove(&self, id: &str) {
        let gone = {
            let mut e = self.entries.write().unwrap_or_else(|p| p.into_inner());
            e.map.remove(id).is_some()
        };
        if gone {
            self.stats.removed.fetch_add(1, Ordering::Relaxed);
        }
        self.pending_done(id);
    }

    /// Keeps only the entries `keep` says yes to (a runtime's full list after a reconnect).
    pub fn retain(&self, mut keep: impl FnMut(&ContainerInfo) -> bool) {
        let mut e = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let before = e.map.len();
        e.map.retain(|_, (_, c)| keep(c));
        let n = (before - e.map.len()) as u64;
        self.stats.removed.fetch_add(n, Ordering::Relaxed);
    }

    /// A lookup failed everywhere. Its id stays in `pending` with its time, so the next event
    /// after the retry delay asks again.
    pub fn lookup_failed(&self) {
        self.stats.failed.fetch_add(1, Ordering::Relaxed);
    }

    fn pending_done(&self, id: &str) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        p.remove(id);
    }

    /// Every entry now, oldest first (for writing them into a capture).
    pub fn entries(&self) -> Vec<Arc<ContainerInfo>> {
        let e = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<&(u64, Arc<ContainerInfo>)> = e.map.values().collect();
        v.sort_by_key(|(seq, _)| *seq);
        v.into_iter().map(|(_, c)| c.clone()).collect()
    }

    /// Entries now.
    pub fn len(&self) -> usize {
        let e = self.entries.read().unwrap_or_else(|p| p.into_inner());
        e.map.len()
    }

    /// No entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The counters and sizes now.
    pub fn figures(&self) -> CacheFigures {
        let s = &self.stats;
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner()).len() as u64;
        CacheFigures {
            requested: s.requested.load(Ordering::Relaxed),
            request_queue_full: s.request_queue_full.load(Ordering::Relaxed),
            resolved: s.resolved.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            removed: s.removed.load(Ordering::Relaxed),
            evicted: s.evicted.load(Ordering::Relaxed),
            entries: self.len() as u64,
            pending,
        }
    }

    /// Asks the worker for `id` unless it was asked recently; never waits.
    pub fn request(&self, id: &str, kind: &'static str) {
        let now = Instant::now();
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = p.get(id) {
            if now.duration_since(*t) < self.retry_after {
                return;
            }
        }
        // Bounded: ids of containers that never resolved expire after the retry delay.
        if p.len() >= self.max_entries {
            let retry = self.retry_after;
            p.retain(|_, t| now.duration_since(*t) < retry);
        }
        match self.requests.try_send(Request {
            id: id.to_string(),
            kind,
        }) {
            Ok(()) => {
                p.insert(id.to_string(), now);
                self.stats.requested.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.stats
                    .request_queue_full
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl ContainerMetadata for ContainerCache {
    fn get_or_request(&self, id: &str, kind: &'static str) -> Option<Arc<ContainerInfo>> {
        if let Some(c) = self.get(id) {
            return Some(c);
        }
        self.request(id, kind);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str) -> ContainerInfo {
        ContainerInfo {
            id: id.into(),
            ..ContainerInfo::default()
        }
    }

    #[test]
    fn unknown_ids_are_requested_once_then_answered() {
        let (c, mut rx) = ContainerCache::new(2, Duration::from_secs(60));
        assert!(c.get_or_request("aaaaaaaaaaaa", "docker").is_none());
        assert!(c.get_or_request("aaaaaaaaaaaa", "docker").is_none());
        assert_eq!(
            rx.try_recv().map(|r| r.id).ok().as_deref(),
            Some("aaaaaaaaaaaa")
        );
        assert!(rx.try_recv().is_err(), "asked twice");
        c.insert(info("aaaaaaaaaaaa"));
        assert_eq!(
            c.get_or_request("aaaaaaaaaaaa", "docker")
                .map(|i| i.id.clone())
                .as_deref(),
            Some("aaaaaaaaaaaa")
        );
        assert_eq!(c.figures().pending, 0);
    }

    #[test]
    fn bounded_with_the_oldest_evicted_and_exits_removed() {
        let (c, _rx) = ContainerCache::new(2, Duration::from_secs(60));
        c.insert(info("a"));
        c.insert(info("b"));
        c.insert(info("c"));
        assert_eq!(c.len(), 2);
        assert!(c.get("a").is_none());
        assert_eq!(c.figures().evicted, 1);
        c.remove("b");
        assert_eq!(c.len(), 1);
        assert_eq!(c.figures().removed, 1);
    }

    #[test]
    fn a_full_queue_drops_the_request_without_waiting() {
        let (c, _rx) = ContainerCache::new(10_000, Duration::from_secs(60));
        for i in 0..REQUEST_QUEUE + 5 {
            c.request(&format!("{i:012}"), "docker");
        }
        let f = c.figures();
        assert_eq!(f.requested, REQUEST_QUEUE as u64);
        assert_eq!(f.request_queue_full, 5);
    }
}
