//! Live capture to a `.scap` file: the kernel module's or the eBPF driver's rings through the
//! same source as the engine, written with the host's process, fd and user lists first (`falco-inspect --live -w`),
//! and the runtimes' metadata of each container as a `container` event (libsinsp's JSON in
//! `PPME_CONTAINER_JSON_2_E`, as sysdig and Falco write it) before the events that need it.

use crate::source::kmod::{Driver, Live};
use crate::source::SourceMsg;
use falco_containers::{Collector, EnginesConfig};
use falco_scap::CaptureWriter;
use falco_sinsp::state::container::ContainerInfo;
use ringbuf_abi::ioctl::EventMask;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to capture and when to stop.
#[derive(Clone, Debug)]
pub struct LiveCapture {
    /// The driver to read.
    pub driver: Driver,
    /// Output file.
    pub out: PathBuf,
    /// Gzip the output.
    pub gzip: bool,
    /// Stop after this many events.
    pub max_events: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Event ids to capture.
    pub mask: EventMask,
    /// Bytes of I/O buffers captured.
    pub snaplen: u32,
    /// The container runtimes whose metadata goes into the capture (none: no `container`
    /// events).
    pub containers: Option<EnginesConfig>,
}

/// The container runtimes' worker for a capture, once their current containers are listed
/// (or they failed to answer): those go in first. A worker that cannot start only warns.
fn start_containers(cfg: Option<&EnginesConfig>) -> Option<Collector> {
    let cfg = cfg.filter(|c| !c.endpoints().is_empty())?.clone();
    let wait = cfg.request_timeout + Duration::from_millis(500);
    match falco_containers::start(cfg) {
        Ok(col) => {
            col.wait_settled(wait);
            Some(col)
        }
        Err(e) => {
            crate::stdio::eprint(&format!(
                "container metadata: cannot start the runtime worker: {e}\n"
            ));
            None
        }
    }
}

/// Writes a `container` event for each cache entry that is new or changed since the last
/// call; `ts` keeps the capture in timestamp order.
fn write_containers<W: std::io::Write>(
    col: &Collector,
    seen_generation: &mut u64,
    written: &mut HashMap<String, std::sync::Arc<ContainerInfo>>,
    writer: &mut falco_scap::CaptureWriter<W>,
    ts: u64,
) -> Result<(), falco_scap::ScapError> {
    let generation = col.cache.stats.generation.load(Ordering::Acquire);
    if generation == *seen_generation {
        return Ok(());
    }
    *seen_generation = generation;
    for c in col.cache.entries() {
        if written.get(&c.id).is_some_and(|w| **w == *c) {
            continue;
        }
        let json = falco_sinsp::state::container_json::to_json(&c);
        let mut payload = json.into_bytes();
        payload.push(0);
        let mut buf = vec![0u8; payload.len() + 64];
        // The record fits by construction (header, one 4-byte length, the payload).
        if let Ok(len) = ringbuf_abi::encode_record(
            &mut buf,
            ts,
            u64::MAX,
            ringbuf_abi::ids::PPME_CONTAINER_JSON_2_E,
            &[&payload],
        ) {
            if let Ok(rec) = ringbuf_abi::Record::parse(&buf[..len]) {
                writer.write_event(0, 0, &rec)?;
            }
        }
        written.insert(c.id.clone(), c);
    }
    Ok(())
}

/// Captures until a limit is reached or `stop` is set; returns the number of events written.
/// `started` runs once the rings are enabled and the file is open: every event after that
/// point is in the capture. A stop (signal or duration) still writes what the rings hold.
///
/// # Errors
/// A user-facing message: module missing, device or file errors.
pub fn capture_live(
    c: &LiveCapture,
    stop: &Arc<AtomicBool>,
    started: impl FnOnce(),
) -> Result<u64, String> {
    let scan = falco_sinsp::state::procfs::scan(Path::new("/proc"), Path::new("/etc"))
        .map_err(|e| format!("cannot read /proc: {e}"))?;
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1);
    let meta = super::host_meta::from_bootstrap(&scan, cpus);
    let containers = start_containers(c.containers.as_ref());
    let live = Live::start(&c.driver, &c.mask, c.snaplen, false)?;
    let mut writer = CaptureWriter::create(&c.out, c.gzip, &meta)
        .map_err(|e| format!("{}: {e}", c.out.display()))?;
    let wrote = |e: falco_scap::ScapError| format!("{}: {e}", c.out.display());
    let mut last_ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let (mut generation, mut written_containers) = (0u64, HashMap::new());
    if let Some(col) = &containers {
        write_containers(
            col,
            &mut generation,
            &mut written_containers,
            &mut writer,
            last_ts,
        )
        .map_err(wrote)?;
    }
    started();
    // A duration past what an Instant can hold means no deadline, not a panic.
    let deadline = c.duration.and_then(|d| Instant::now().checked_add(d));
    let mut written = 0u64;
    let mut stopping = false;
    'capture: loop {
        if !stopping
            && (stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d))
        {
            // The reader disables the rings, hands over what they hold, then says Stopped.
            live.stop();
            stopping = true;
        }
        match live.events.recv_timeout(Duration::from_millis(100)) {
            Ok(SourceMsg::Batch(batch)) => {
                // Containers the runtimes reported since: before the events that follow.
                if let Some(col) = &containers {
                    write_containers(
                        col,
                        &mut generation,
                        &mut written_containers,
                        &mut writer,
                        last_ts,
                    )
                    .map_err(wrote)?;
                }
                for (rec, e) in batch.iter() {
                    last_ts = last_ts.max(rec.ts());
                    writer
                        .write_event(e.cpu, e.flags, &rec)
                        .map_err(|err| format!("{}: {err}", c.out.display()))?;
                    written += 1;
                    if c.max_events.is_some_and(|m| written >= m) {
                        break 'capture;
                    }
                }
                let _ = live.recycle.try_send(batch);
            }
            Ok(SourceMsg::Fatal(e)) => return Err(e),
            Ok(SourceMsg::Stopped) => break,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
    }
    live.stop();
    writer
        .close()
        .map_err(|e| format!("{}: {e}", c.out.display()))?;
    Ok(written)
}
