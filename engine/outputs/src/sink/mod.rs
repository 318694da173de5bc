//! The outputs proper. Each sink runs on its own worker thread and counts what it delivers or
//! loses on its output's [`Counters`](crate::stats::Counters).

use std::sync::Arc;
use std::time::Instant;

use crate::alert::Alert;

pub(crate) mod chat;
pub(crate) mod file;
pub(crate) mod http;
pub(crate) mod program;
pub(crate) mod stdout;
pub(crate) mod syslog;

/// Batches written at once in buffered mode grow to at most this many bytes.
pub(crate) const BATCH_BYTES: usize = 64 * 1024;

/// One output as its worker drives it.
pub(crate) trait Sink: Send {
    /// Delivers one alert, or adds it to the current batch in buffered mode, and counts the
    /// outcome.
    fn deliver(&mut self, alert: &Arc<Alert>);

    /// Called when the queue has run empty and every tick while idle: write the pending batch
    /// and check the receiver's health.
    fn idle(&mut self) {}

    /// Closes and reopens the destination (SIGUSR1, log rotation).
    fn reopen(&mut self) {}

    /// Writes what is pending and releases the destination, giving up at `deadline`.
    fn close(&mut self, deadline: Instant);
}

/// Newline-terminated alert lines gathered for one write, with how many alerts they hold.
#[derive(Debug)]
pub(crate) struct LineBatch {
    bytes: Vec<u8>,
    alerts: u64,
    buffered: bool,
}

impl LineBatch {
    pub(crate) fn new(buffered: bool) -> Self {
        LineBatch {
            bytes: Vec::with_capacity(if buffered { BATCH_BYTES } else { 1024 }),
            alerts: 0,
            buffered,
        }
    }

    /// Adds one line and its newline.
    pub(crate) fn push(&mut self, line: &str) {
        self.bytes.extend_from_slice(line.as_bytes());
        self.bytes.push(b'\n');
        self.alerts += 1;
    }

    /// Whether the batch should be written now: always when unbuffered, when full otherwise.
    pub(crate) fn is_due(&self) -> bool {
        self.alerts > 0 && (!self.buffered || self.bytes.len() >= BATCH_BYTES)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.alerts == 0
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn alerts(&self) -> u64 {
        self.alerts
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.alerts = 0;
    }
}
