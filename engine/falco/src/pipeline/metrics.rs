//! One set of counters behind every metrics view: the periodic snapshot (internal alert or
//! log line, `metrics.output_file`) and the webserver's Prometheus `/metrics` read the same
//! [`MetricsHub`], with Falco 0.44's names (`falco.*`/`scap.*` fields, `falcosecurity_*`
//! metrics). The event loop publishes the counters it owns at most every
//! [`PUBLISH_EVERY`]; the pipeline's own counters ([`PipelineStats`]) are atomics read in
//! place; process and host resources are read when a view is built.

use super::reorder::PipelineStats;
use crate::config::model::MetricsConfig;
use falco_rules::priority::Priority;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often the event loop publishes its counters (and proves it is alive).
pub const PUBLISH_EVERY: Duration = Duration::from_millis(100);
/// A loop that has not published for this long is reported stuck by `/healthz`.
pub const STUCK_AFTER: Duration = Duration::from_secs(10);

/// Falco's kernel drop labels for this driver's drop categories (`ringbuf_abi::ring::
/// DropCategory`): (`dir`, `drop`) of `falcosecurity_scap_n_drops_buffer_total`, or the name
/// of the separate counter Falco keeps for that kind of loss.
pub enum DropLabel {
    /// A buffer drop with these `dir` and `drop` labels.
    Buffer(&'static str, &'static str),
    /// Its own counter (`n_drops_scratch_map`, `n_drops_page_faults`).
    Own(&'static str),
}

/// The labels of each drop category, in category order.
pub const DROP_LABELS: [DropLabel; ringbuf_abi::ring::DROP_CATEGORIES] = [
    DropLabel::Buffer("enter", "other_interest"),
    DropLabel::Buffer("exit", "other_interest"),
    DropLabel::Buffer("exit", "proc"),
    DropLabel::Own("n_drops_scratch_map"),
    DropLabel::Own("n_drops_page_faults"),
];

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
    statm(1)
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    page.max(0) as u64
}

/// Field `i` of /proc/self/statm, in bytes.
fn statm(i: usize) -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(i)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    pages * page_size()
}

/// The value of `key` (in kB) in a /proc file of `key: value kB` lines.
fn proc_kb(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|r| r.trim_start_matches(':').split_whitespace().next())
                    .and_then(|v| v.parse().ok())
            })
        })
        .unwrap_or(0)
}

/// Process and host resources, read when a view is built (Falco's
/// `resource_utilization_enabled` category).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    /// Process CPU use since start, percent of one CPU.
    pub cpu_usage_perc: f64,
    /// Resident set size, bytes.
    pub memory_rss: u64,
    /// Virtual size, bytes.
    pub memory_vsz: u64,
    /// Proportional set size, bytes.
    pub memory_pss: u64,
    /// The cgroup's memory use (inside a container), bytes.
    pub container_memory_used: u64,
    /// Host CPU use since boot, percent.
    pub host_cpu_usage_perc: f64,
    /// Host memory in use (total minus available), bytes.
    pub host_memory_used: u64,
    /// Processes running on the host now.
    pub host_procs_running: u64,
    /// File descriptors open on the host.
    pub host_open_fds: u64,
}

impl Resources {
    /// Reads them now; `since` is when the process started.
    pub fn read(since: Instant) -> Resources {
        let elapsed = since.elapsed().as_secs_f64();
        let cpu_usage_perc = if elapsed > 0.0 {
            cpu_seconds() / elapsed * 100.0
        } else {
            0.0
        };
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let mut host_cpu_usage_perc = 0.0;
        let mut host_procs_running = 0;
        for line in stat.lines() {
            if let Some(rest) = line.strip_prefix("cpu ") {
                let v: Vec<f64> = rest
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                let total: f64 = v.iter().sum();
                // idle + iowait are the time not in use.
                let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
                if total > 0.0 {
                    host_cpu_usage_perc = (total - idle) / total * 100.0;
                }
            } else if let Some(rest) = line.strip_prefix("procs_running ") {
                host_procs_running = rest.trim().parse().unwrap_or(0);
            }
        }
        let mem_total = proc_kb("/proc/meminfo", "MemTotal");
        let mem_avail = proc_kb("/proc/meminfo", "MemAvailable");
        let host_open_fds = std::fs::read_to_string("/proc/sys/fs/file-nr")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(0);
        let container_memory_used = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        Resources {
            cpu_usage_perc,
            memory_rss: statm(1),
            memory_vsz: statm(0),
            memory_pss: proc_kb("/proc/self/smaps_rollup", "Pss") * 1024,
            container_memory_used,
            host_cpu_usage_perc,
            host_memory_used: mem_total.saturating_sub(mem_avail) * 1024,
            host_procs_running,
            host_open_fds,
        }
    }
}

/// What does not change while running (or changes only on reload): the wrapper fields.
#[derive(Clone, Debug, Default)]
pub struct EngineInfo {
    /// This build's version.
    pub version: String,
    /// Host name (`FALCO_HOSTNAME` first).
    pub hostname: String,
    /// `uname -r`.
    pub kernel_release: String,
    /// Start time, ns since the epoch.
    pub start_ts: u64,
    /// Host boot time, ns since the epoch.
    pub host_boot_ts: u64,
    /// Online CPUs.
    pub host_num_cpus: u64,
    /// libs' name of the engine: `kmod`, `modern_ebpf`, `savefile` (a replay).
    pub engine_name: String,
    /// Enabled event sources.
    pub sources: Vec<String>,
    /// Rules files loaded: file name and SHA-256 of the content.
    pub rules_files: Vec<(String, String)>,
    /// Configuration files read: file name and SHA-256 of the content.
    pub config_files: Vec<(String, String)>,
}

/// SHA-256 of a file's content in hex, or `None` when it cannot be read.
pub fn sha256_file(path: &std::path::Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let d = ring::digest::digest(&ring::digest::SHA256, &bytes);
    Some(d.as_ref().iter().map(|b| format!("{b:02x}")).collect())
}

/// Host boot time from /proc/stat's `btime`, ns since the epoch.
pub fn host_boot_ts() -> u64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("btime ")
                    .and_then(|v| v.trim().parse::<u64>().ok())
            })
        })
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
}

/// What uname(2) says of the system.
pub struct Uname {
    /// `sysname` (`Linux`).
    pub sysname: String,
    /// `nodename`.
    pub nodename: String,
    /// `release` (`uname -r`).
    pub release: String,
    /// `version`.
    pub version: String,
    /// `machine`.
    pub machine: String,
}

/// uname(2), `None` when it fails.
pub fn uname() -> Option<Uname> {
    // SAFETY: utsname is plain old data filled by uname.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer for the duration of the call.
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let field = |f: &[libc::c_char]| -> String {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some(Uname {
        sysname: field(&u.sysname),
        nodename: field(&u.nodename),
        release: field(&u.release),
        version: field(&u.version),
        machine: field(&u.machine),
    })
}

/// `uname -r`.
pub fn kernel_release() -> String {
    uname().map(|u| u.release).unwrap_or_default()
}

/// A rule's labels: Falco's numeric priority (0 emergency .. 7 debug), source and tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Falco's priority number.
    pub priority: u8,
    /// `source:`.
    pub source: String,
    /// `tags:`.
    pub tags: Vec<String>,
}

/// Falco's priority number.
pub fn priority_number(p: Priority) -> u8 {
    match p {
        Priority::Emergency => 0,
        Priority::Alert => 1,
        Priority::Critical => 2,
        Priority::Error => 3,
        Priority::Warning => 4,
        Priority::Notice => 5,
        Priority::Informational => 6,
        Priority::Debug => 7,
    }
}

/// The counters the event loop owns, as last published.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Published {
    /// Events the engine processed.
    pub events: u64,
    /// Live only: events the driver produced, and its drops by category.
    pub driver: Option<(u64, [u64; ringbuf_abi::ring::DROP_CATEGORIES])>,
    /// Batches waiting between the source and the engine.
    pub source_queue: usize,
    /// Batches waiting for an evaluator.
    pub evaluator_queue: usize,
    /// Batches evaluated, waiting to be put back in order.
    pub reorder_queue: usize,
    /// Alerts shed by outputs whose queue was full (Falco's `outputs_queue_num_drops`).
    pub outputs_shed: u64,
    /// Alerts waiting in the outputs' queues.
    pub outputs_queued: u64,
    /// Alerts some output did not deliver (shed, failed, discarded, lost after write).
    pub outputs_lost: u64,
    /// Each enabled output's counters (delivered, failed, shed; the chat outputs' messages,
    /// retries, 429s and summarised alerts), for the per-output Prometheus series.
    pub outputs: Vec<falco_outputs::OutputStats>,
    /// Threads in the thread table.
    pub n_threads: u64,
    /// Open fds in the fd tables.
    pub n_fds: u64,
    /// Last successful reload, ns since the epoch (0: none).
    pub reload_ts: u64,
}

/// Why `/healthz` is not ok, or `None`.
pub fn health_problem(hub: &MetricsHub) -> Option<String> {
    if let Ok(guard) = hub.source_failure.lock() {
        if let Some(e) = guard.as_ref() {
            return Some(format!("event source failed: {e}"));
        }
    }
    if !hub.running.load(Ordering::Relaxed) {
        return Some("the engine is not running".into());
    }
    let beat = hub.beat_ms.load(Ordering::Relaxed);
    let now = hub.started.elapsed().as_millis() as u64;
    let stale = now.saturating_sub(beat);
    if stale > STUCK_AFTER.as_millis() as u64 {
        return Some(format!(
            "the event pipeline is stuck: no progress for {:.1} s",
            stale as f64 / 1000.0
        ));
    }
    None
}

/// The shared counters and engine facts every metrics view reads; one per run.
#[derive(Debug)]
pub struct MetricsHub {
    /// Wrapper facts.
    pub info: EngineInfo,
    /// Which categories the views include (a reload may change it: [`MetricsHub::config`]).
    config: RwLock<MetricsConfig>,
    /// Alerts, stalls, reorder depth, matches by rule (atomics and a map, updated in place).
    pub pipeline: PipelineStats,
    published: Mutex<Published>,
    rules: Mutex<HashMap<String, RuleMeta>>,
    started: Instant,
    beat_ms: AtomicU64,
    running: AtomicBool,
    source_failure: Mutex<Option<String>>,
}

impl MetricsHub {
    /// The `metrics` configuration in force.
    pub fn config(&self) -> MetricsConfig {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts a reloaded `metrics` configuration in force.
    pub fn set_config(&self, config: MetricsConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// A hub for a run that starts now.
    pub fn new(info: EngineInfo, config: MetricsConfig) -> MetricsHub {
        MetricsHub {
            info,
            config: RwLock::new(config),
            pipeline: PipelineStats::default(),
            published: Mutex::new(Published::default()),
            rules: Mutex::new(HashMap::new()),
            started: Instant::now(),
            beat_ms: AtomicU64::new(0),
            running: AtomicBool::new(false),
            source_failure: Mutex::new(None),
        }
    }

    /// When the run started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The loop's counters, published (also the loop's heartbeat for `/healthz`).
    pub fn publish(&self, p: Published) {
        if let Ok(mut g) = self.published.lock() {
            *g = p;
        }
        self.beat();
    }

    /// The loop is alive.
    pub fn beat(&self) {
        self.beat_ms
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// The engine runs (true) or has stopped (false).
    pub fn set_running(&self, running: bool) {
        self.beat();
        self.running.store(running, Ordering::Relaxed);
    }

    /// The source failed for good; `/healthz` says so from now on.
    pub fn source_failed(&self, message: &str) {
        if let Ok(mut g) = self.source_failure.lock() {
            *g = Some(message.to_string());
        }
    }

    /// The last published counters.
    pub fn published(&self) -> Published {
        self.published.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// The loaded rules' labels (at start and after each reload).
    pub fn set_rules<'r>(&self, rules: impl Iterator<Item = &'r falco_rules::ruleset::Rule>) {
        let table: HashMap<String, RuleMeta> = rules
            .map(|r| {
                (
                    r.name.clone(),
                    RuleMeta {
                        priority: priority_number(r.priority),
                        source: r.source.clone(),
                        tags: r.tags.iter().cloned().collect(),
                    },
                )
            })
            .collect();
        if let Ok(mut g) = self.rules.lock() {
            *g = table;
        }
    }

    /// Matches so far by rule name, with the rule's labels (a rule no longer loaded keeps its
    /// count under `syscall` with the priority it alerted with).
    pub fn rule_matches(&self) -> Vec<(String, RuleMeta, u64)> {
        let counts = self
            .pipeline
            .rule_matches
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default();
        let rules = self.rules.lock().map(|g| g.clone()).unwrap_or_default();
        counts
            .into_iter()
            .map(|(name, (priority, n))| {
                let meta = rules.get(&name).cloned().unwrap_or(RuleMeta {
                    priority: priority_number(priority),
                    source: "syscall".into(),
                    tags: Vec::new(),
                });
                (name, meta, n)
            })
            .collect()
    }

    /// Seconds since start.
    pub fn duration_sec(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// What the previous snapshot saw, for the `*_prev` fields and the rates.
#[derive(Clone, Debug, Default)]
pub struct SnapshotState {
    at: Option<Instant>,
    num_evts: u64,
    scap_evts: u64,
    scap_drops: u64,
}

/// Sanitised metric name part: Falco keeps `[a-zA-Z0-9_]` and turns the rest into `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The `output_fields` of Falco's "Falco internal: metrics snapshot", by the categories
/// `metrics.*_enabled` select; zero and empty values left out unless `include_empty_values`.
pub fn snapshot_fields(
    hub: &MetricsHub,
    prev: &mut SnapshotState,
    now_ns: u64,
) -> Map<String, Value> {
    let c = &hub.config();
    let info = &hub.info;
    let p = hub.published();
    let now = Instant::now();
    let secs = prev.at.map(|t| now.duration_since(t).as_secs_f64());
    let rate = |cur: u64, old: u64| match secs {
        Some(s) if s > 0.0 => ((cur.saturating_sub(old)) as f64 / s * 10.0).round() / 10.0,
        _ => 0.0,
    };
    let mut f = Map::new();
    let mut put = |k: &str, v: Value| {
        let empty = match &v {
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        if !empty || c.include_empty_values {
            f.insert(k.to_string(), v);
        }
    };
    put("evt.hostname", info.hostname.clone().into());
    put("evt.source", "syscall".into());
    put("evt.time", now_ns.into());
    put("falco.version", info.version.clone().into());
    put("falco.kernel_release", info.kernel_release.clone().into());
    put("falco.start_ts", info.start_ts.into());
    put("falco.duration_sec", hub.duration_sec().into());
    put("falco.host_boot_ts", info.host_boot_ts.into());
    put("falco.host_num_cpus", info.host_num_cpus.into());
    put("falco.outputs_queue_num_drops", p.outputs_shed.into());
    put("falco.reload_ts", p.reload_ts.into());
    put("falco.num_evts", p.events.into());
    put("falco.num_evts_prev", prev.num_evts.into());
    put("falco.evts_rate_sec", rate(p.events, prev.num_evts).into());
    for (name, sum) in &info.rules_files {
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        put(
            &format!("falco.sha256_rules_file.{}", sanitize(stem)),
            sum.clone().into(),
        );
    }
    for (name, sum) in &info.config_files {
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        put(
            &format!("falco.sha256_config_file.{}", sanitize(stem)),
            sum.clone().into(),
        );
    }
    put("scap.engine_name", info.engine_name.clone().into());
    if c.rules_counters {
        let matches = hub.rule_matches();
        put(
            "falco.rules.matches_total",
            matches.iter().map(|(_, _, n)| n).sum::<u64>().into(),
        );
        for (name, _, n) in matches {
            put(&format!("falco.rules.{}", sanitize(&name)), n.into());
        }
    }
    if c.resource_utilization {
        let r = Resources::read(hub.started());
        let (unit, div) = if c.convert_memory_to_mb {
            ("mb", 1024.0 * 1024.0)
        } else {
            ("kb", 1024.0)
        };
        let mem = |b: u64| ((b as f64 / div) * 100.0).round() / 100.0;
        put(
            "falco.cpu_usage_perc",
            ((r.cpu_usage_perc * 10.0).round() / 10.0).into(),
        );
        put(
            &format!("falco.memory_rss_{unit}"),
            mem(r.memory_rss).into(),
        );
        put(
            &format!("falco.memory_vsz_{unit}"),
            mem(r.memory_vsz).into(),
        );
        put(
            &format!("falco.memory_pss_{unit}"),
            mem(r.memory_pss).into(),
        );
        put(
            &format!("falco.container_memory_used_{unit}"),
            mem(r.container_memory_used).into(),
        );
        put(
            "falco.host_cpu_usage_perc",
            ((r.host_cpu_usage_perc * 10.0).round() / 10.0).into(),
        );
        put(
            &format!("falco.host_memory_used_{unit}"),
            mem(r.host_memory_used).into(),
        );
        put("falco.host_procs_running", r.host_procs_running.into());
        put("falco.host_open_fds", r.host_open_fds.into());
    }
    if c.state_counters {
        put("falco.n_threads", p.n_threads.into());
        put("falco.n_fds", p.n_fds.into());
    }
    let (scap_evts, scap_drops) = match p.driver {
        Some((evts, drops)) => (evts, drops.iter().sum()),
        None => (0, 0),
    };
    if c.kernel_event_counters {
        if let Some((_, drops)) = p.driver {
            put("scap.n_evts", scap_evts.into());
            put("scap.n_evts_prev", prev.scap_evts.into());
            put("scap.evts_rate_sec", rate(scap_evts, prev.scap_evts).into());
            put("scap.n_drops", scap_drops.into());
            put("scap.n_drops_prev", prev.scap_drops.into());
            put(
                "scap.evts_drop_rate_sec",
                rate(scap_drops, prev.scap_drops).into(),
            );
            let d_evts = scap_evts.saturating_sub(prev.scap_evts);
            let d_drops = scap_drops.saturating_sub(prev.scap_drops);
            let perc = if d_evts + d_drops > 0 {
                d_drops as f64 / (d_evts + d_drops) as f64 * 100.0
            } else {
                0.0
            };
            put("scap.n_drops_perc", ((perc * 100.0).round() / 100.0).into());
            let mut buffer_total = 0;
            for (label, n) in DROP_LABELS.iter().zip(drops) {
                match label {
                    DropLabel::Buffer(dir, drop) => {
                        buffer_total += n;
                        put(&format!("scap.n_drops_buffer_{drop}_{dir}"), n.into());
                    }
                    DropLabel::Own(name) => put(&format!("scap.{name}"), n.into()),
                }
            }
            put("scap.n_drops_buffer_total", buffer_total.into());
        }
    }
    // Ours, beside Falco's: where events wait inside the pipeline.
    put("falco.source_queue_depth", p.source_queue.into());
    put("falco.evaluator_queue_depth", p.evaluator_queue.into());
    put("falco.reorder_queue_depth", p.reorder_queue.into());
    put(
        "falco.evaluator_stalls",
        hub.pipeline.evaluator_stalls.load(Ordering::Relaxed).into(),
    );
    put("falco.outputs_queued", p.outputs_queued.into());
    put("falco.outputs_lost", p.outputs_lost.into());
    prev.at = Some(now);
    prev.num_evts = p.events;
    prev.scap_evts = scap_evts;
    prev.scap_drops = scap_drops;
    f
}

/// Matches by rule name with their counts, sorted (for tests and the summary).
pub fn matches_by_rule(hub: &MetricsHub) -> BTreeMap<String, u64> {
    hub.rule_matches()
        .into_iter()
        .map(|(n, _, c)| (n, c))
        .collect()
}
