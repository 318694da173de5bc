//! Periodic statistics: events, driver drops, alerts, queue depths, CPU and RSS, as a log line
//! or (with `metrics.output_rule`) an internal alert carrying the same fields as JSON.

use serde_json::json;

/// Process CPU seconds (user + system) from getrusage.
pub fn cpu_seconds() -> f64 {
    // SAFETY: rusage is plain old data filled by the call.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Resident set size in bytes, from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as u64
}

/// One snapshot of the counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Events processed by the engine.
    pub events: u64,
    /// Events the driver produced (live only).
    pub driver_events: u64,
    /// Events the driver dropped (live only).
    pub driver_drops: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Batches waiting between the source and the engine.
    pub source_queue: usize,
    /// Batches waiting for an evaluator.
    pub evaluator_queue: usize,
    /// Batches evaluated and waiting to be put back in event order.
    pub reorder_queue: usize,
    /// Most batches that waited for an earlier one at once.
    pub reorder_queue_max: usize,
    /// Times the state stage waited because every evaluator was busy and their queue full.
    pub evaluator_stalls: u64,
    /// Alerts shed by outputs.
    pub outputs_shed: u64,
    /// Alerts some output did not deliver: shed, failed, discarded or lost after write.
    pub outputs_lost: u64,
    /// CPU percent since the previous snapshot.
    pub cpu_percent: f64,
    /// Resident set size.
    pub rss_bytes: u64,
}

impl Snapshot {
    /// The JSON object Falco-style metrics carry.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "falco.n_evts": self.events,
            "falco.n_drops_driver": self.driver_drops,
            "falco.n_evts_driver": self.driver_events,
            "falco.n_alerts": self.alerts,
            "falco.source_queue_depth": self.source_queue,
            "falco.evaluator_queue_depth": self.evaluator_queue,
            "falco.reorder_queue_depth": self.reorder_queue,
            "falco.reorder_queue_depth_max": self.reorder_queue_max,
            "falco.evaluator_stalls": self.evaluator_stalls,
            "falco.outputs_shed": self.outputs_shed,
            "falco.outputs_lost": self.outputs_lost,
            "falco.cpu_usage_perc": (self.cpu_percent * 100.0).round() / 100.0,
            "falco.memory_rss_bytes": self.rss_bytes,
        })
    }
}
