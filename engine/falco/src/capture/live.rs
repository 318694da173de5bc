//! Live capture to a `.scap` file: the kernel module's or the eBPF driver's rings through the
//! same source as the engine, written with the host's process, fd and user lists first (`falco-inspect --live -w`).

use crate::source::kmod::{Driver, Live};
use crate::source::SourceMsg;
use falco_scap::CaptureWriter;
use ringbuf_abi::ioctl::EventMask;
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
    let live = Live::start(&c.driver, &c.mask, c.snaplen, false)?;
    let mut writer = CaptureWriter::create(&c.out, c.gzip, &meta)
        .map_err(|e| format!("{}: {e}", c.out.display()))?;
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
                for (rec, e) in batch.iter() {
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
