//! Per-output counters, written by the hub and the workers, read as [`OutputStats`].

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// The counters of one output. Monotonic except `busy_since_ms`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) enqueued: AtomicU64,
    pub(crate) shed: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) discarded: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) reopens: AtomicU64,
    pub(crate) respawns: AtomicU64,
    pub(crate) resent: AtomicU64,
    pub(crate) lost_after_write: AtomicU64,
    /// Chat outputs: messages the webhook accepted.
    pub(crate) messages: AtomicU64,
    /// Chat outputs: messages sent again after a 429, a 5xx or no answer.
    pub(crate) retries: AtomicU64,
    /// Chat outputs: 429 answers.
    pub(crate) rate_limited: AtomicU64,
    /// Chat outputs: alerts delivered in messages summarising several.
    pub(crate) batched: AtomicU64,
    /// Milliseconds since the hub started at which the current delivery began, 0 when idle.
    pub(crate) busy_since_ms: AtomicU64,
    /// The most recent failure, for the periodic notice (written on failures only).
    pub(crate) last_error: Mutex<Option<String>>,
}

impl Counters {
    /// Counts `n` delivered alerts.
    pub(crate) fn delivered(&self, n: u64) {
        self.delivered.fetch_add(n, Relaxed);
    }

    /// Counts `n` alerts lost to `error`, and remembers the error for the next notice.
    pub(crate) fn failed(&self, n: u64, error: impl Display) {
        self.failed.fetch_add(n, Relaxed);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error.to_string());
        }
    }

    pub(crate) fn take_last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|mut last| last.take())
    }

    pub(crate) fn snapshot(
        &self,
        name: &'static str,
        capacity: usize,
        queued: usize,
        blocked: bool,
    ) -> OutputStats {
        OutputStats {
            name,
            capacity,
            queued,
            enqueued: self.enqueued.load(Relaxed),
            shed: self.shed.load(Relaxed),
            delivered: self.delivered.load(Relaxed),
            failed: self.failed.load(Relaxed),
            discarded: self.discarded.load(Relaxed),
            timeouts: self.timeouts.load(Relaxed),
            reopens: self.reopens.load(Relaxed),
            respawns: self.respawns.load(Relaxed),
            resent: self.resent.load(Relaxed),
            lost_after_write: self.lost_after_write.load(Relaxed),
            messages: self.messages.load(Relaxed),
            retries: self.retries.load(Relaxed),
            rate_limited: self.rate_limited.load(Relaxed),
            batched: self.batched.load(Relaxed),
            blocked,
        }
    }
}

/// A snapshot of one output's counters.
///
/// Every alert passed to [`crate::Outputs::send`] is either `shed` or `enqueued`; every enqueued
/// alert ends as exactly one of `delivered`, `failed` or `discarded`, or is still `queued` or
/// being delivered: after [`crate::Outputs::shutdown`] `enqueued == delivered + failed +
/// discarded` for every output, one still stuck at the deadline included (what it held is
/// counted as discarded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputStats {
    /// `stdout`, `file`, `syslog`, `program`, `http`, `slack`, `teams`, `googlechat` or
    /// `webhook`.
    pub name: &'static str,
    /// The queue's capacity.
    pub capacity: usize,
    /// Alerts waiting in the queue now.
    pub queued: usize,
    /// Alerts accepted into the queue.
    pub enqueued: u64,
    /// Alerts not accepted because the queue was full (the output was slow, hanging or dead).
    pub shed: u64,
    /// Alerts handed to the receiver: written to stdout, the file or the program's stdin, passed
    /// to syslog(3), or answered with a 2xx status.
    pub delivered: u64,
    /// Alerts whose delivery failed (write error, full disk, refused or timed-out request,
    /// non-2xx status, program that could not be started).
    pub failed: u64,
    /// Alerts still queued when the shutdown deadline passed, dropped unsent, and the alert an
    /// output still stuck in a delivery at the deadline held.
    pub discarded: u64,
    /// HTTP requests that timed out (each retry counts).
    pub timeouts: u64,
    /// Times the output was reopened ([`crate::Outputs::reopen`]).
    pub reopens: u64,
    /// Times the program was started again after it exited or died.
    pub respawns: u64,
    /// Alerts written again to a respawned program because the dead one had not read any of
    /// their bytes (included once in `delivered`).
    pub resent: u64,
    /// Delivered alerts found lost afterwards: the program died having read only part of them.
    pub lost_after_write: u64,
    /// Chat outputs: messages the webhook accepted (one may carry several alerts).
    pub messages: u64,
    /// Chat outputs: messages sent again after a 429, a 5xx, a timeout or a failed connection.
    pub retries: u64,
    /// Chat outputs: requests answered 429 (rate limited by the service).
    pub rate_limited: u64,
    /// Chat outputs: delivered alerts that went out in a message summarising several of a rule.
    pub batched: u64,
    /// Whether the output is busy with one alert for longer than `output_timeout`.
    pub blocked: bool,
}

/// A snapshot of every enabled output's counters, from [`crate::Outputs::stats`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OutputsStats {
    /// One entry per enabled output, in the order stdout, file, syslog, program, http, slack,
    /// teams, googlechat, webhook.
    pub outputs: Vec<OutputStats>,
}

impl OutputsStats {
    /// The entry of the output called `name`.
    pub fn get(&self, name: &str) -> Option<&OutputStats> {
        self.outputs.iter().find(|o| o.name == name)
    }

    /// Alerts shed by all outputs together.
    pub fn total_shed(&self) -> u64 {
        self.outputs.iter().map(|o| o.shed).sum()
    }

    /// Alerts failed by all outputs together.
    pub fn total_failed(&self) -> u64 {
        self.outputs.iter().map(|o| o.failed).sum()
    }

    /// Alerts some output did not deliver, all outputs together: shed, failed, discarded at
    /// shutdown, or found lost after they were written.
    pub fn total_lost(&self) -> u64 {
        self.outputs
            .iter()
            .map(|o| o.shed + o.failed + o.discarded + o.lost_after_write)
            .sum()
    }
}
