//! The live source: the kernel module's per-CPU rings or the eBPF driver's ring buffers, read
//! on their own thread with epoll wakeups (no sleep loops), merged in timestamp order by one
//! [`RingSet`] and handed over in batches.

use super::batch::EventBatch;
use super::replay::SourceMsg;
use crossbeam_channel::{bounded, Receiver, Sender, TryRecvError};
use falco_ringreader::{Error as RingError, RingSet, RingStats};
use ringbuf_abi::ioctl::EventMask;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Requests to the reader thread, which owns the devices.
#[derive(Debug)]
pub enum Control {
    /// Produce only these event ids from now on (after a reload).
    SetMask(Box<EventMask>),
}

/// Counters the reader keeps (read by stats and the drop monitor).
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Records read.
    pub events: AtomicU64,
    /// Records that did not decode (rings resynchronised).
    pub corrupt: AtomicU64,
    /// Driver drops, summed over categories and CPUs (last read from the control pages).
    pub driver_drops: AtomicU64,
    /// Events the driver produced (last read from the control pages).
    pub driver_events: AtomicU64,
    /// Driver drops by `ringbuf_abi::ring::DropCategory`, summed over CPUs.
    pub driver_drops_by_category: [AtomicU64; ringbuf_abi::ring::DROP_CATEGORIES],
}

/// A running live capture.
pub struct Live {
    /// Batches and errors.
    pub events: Receiver<SourceMsg>,
    /// Return emptied batches here.
    pub recycle: Sender<EventBatch>,
    /// Requests to the reader.
    pub control: Sender<Control>,
    /// Counters.
    pub counters: Arc<LiveCounters>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What to tell a user whose module is missing or mismatched.
pub fn explain(e: &RingError) -> String {
    match e {
        RingError::NoDevices(dir) => format!(
            "no /dev/falco* devices in {}: the kernel module is not loaded. Run `modprobe falco` \
             (check `dkms status falco` if that fails)",
            dir.display()
        ),
        RingError::AbiMismatch { module, reader } => format!(
            "the loaded falco module speaks ABI {module}, this engine {reader}: reinstall the package so \
             dkms rebuilds the module (`dkms status falco`), then `rmmod falco && modprobe falco`"
        ),
        other => other.to_string(),
    }
}

/// Which driver a live capture reads.
#[derive(Clone, Debug)]
pub enum Driver {
    /// The kernel module's devices in this directory (normally `/dev`).
    Kmod(PathBuf),
    /// The modern eBPF driver, loaded by this process.
    ModernEbpf(falco_ebpf::Options),
}

impl Driver {
    /// Opens the driver's rings.
    ///
    /// # Errors
    /// A user-facing message (see [`explain`] and [`falco_ebpf::open`]).
    pub fn open(&self) -> Result<RingSet, String> {
        match self {
            Driver::Kmod(dir) => RingSet::open(dir).map_err(|e| explain(&e)),
            Driver::ModernEbpf(opts) => falco_ebpf::open(opts),
        }
    }

    /// What the start-up log says is being read.
    pub fn describe(&self) -> &'static str {
        match self {
            Driver::Kmod(_) => "the kernel module",
            Driver::ModernEbpf(_) => "the modern eBPF driver",
        }
    }
}

impl Live {
    /// Opens the driver's rings, checks the ABI, programs the driver and starts reading.
    ///
    /// # Errors
    /// A user-facing message (see [`explain`]).
    pub fn start(
        driver: &Driver,
        mask: &EventMask,
        snaplen: u32,
        drop_failed: bool,
    ) -> Result<Live, String> {
        let rings = driver.open()?;
        let abi = rings.abi_version().map_err(|e| explain(&e))?;
        if abi != ringbuf_abi::ring::ABI_VERSION {
            return Err(explain(&RingError::AbiMismatch {
                module: abi,
                reader: ringbuf_abi::ring::ABI_VERSION,
            }));
        }
        rings.set_event_mask(mask).map_err(|e| explain(&e))?;
        rings.set_snaplen(snaplen).map_err(|e| explain(&e))?;
        rings
            .set_drop_failed(drop_failed)
            .map_err(|e| explain(&e))?;
        rings.enable().map_err(|e| explain(&e))?;
        let (tx, rx) = bounded(16);
        let (recycle_tx, recycle_rx) = bounded(18);
        let (ctl_tx, ctl_rx) = bounded(4);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(LiveCounters::default());
        let thread = {
            let stop = stop.clone();
            let counters = counters.clone();
            std::thread::Builder::new()
                .name("kmod-reader".into())
                .spawn(move || read_loop(rings, tx, recycle_rx, ctl_rx, stop, counters))
                .map_err(|e| format!("cannot start the ring reader thread: {e}"))?
        };
        Ok(Live {
            events: rx,
            recycle: recycle_tx,
            control: ctl_tx,
            counters,
            stop,
            thread: Some(thread),
        })
    }

    /// A live source that has ended: its channel is closed and nothing runs (what stands in
    /// while a driver is reopened).
    pub fn stopped() -> Live {
        let (_, events) = bounded(0);
        let (recycle, _) = bounded(1);
        let (control, _) = bounded(1);
        Live {
            events,
            recycle,
            control,
            counters: Arc::default(),
            stop: Arc::new(AtomicBool::new(true)),
            thread: None,
        }
    }

    /// Asks the reader to stop; it disables capture and ends its channel.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
        let (_, dead) = bounded(0);
        self.events = dead;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// poll() timeout when idle: also bounds how long a stop request waits.
const WAIT_MS: i32 = 50;
/// poll() timeout while events flow (some were read in the last [`BUSY_FOR`]). The module
/// wakes a sleeping reader when its ring crosses a watermark (1/16 of the ring) or 1 ms after
/// the reader armed it; this timeout is the fallback should that wake-up be missed.
const BUSY_WAIT_MS: i32 = 1;
/// How long after the last record the reader keeps the short timeout.
const BUSY_FOR: std::time::Duration = std::time::Duration::from_millis(200);

/// `evt.cpu` of the record [`RingSet::next_record`] returned last: its ring's CPU.
fn cpu_of(rings: &RingSet) -> u16 {
    rings
        .last_cpu()
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(0)
}

fn read_loop(
    mut rings: RingSet,
    tx: Sender<SourceMsg>,
    recycle: Receiver<EventBatch>,
    control: Receiver<Control>,
    stop: Arc<AtomicBool>,
    counters: Arc<LiveCounters>,
) {
    let mut batch = EventBatch::with_capacity();
    let mut last_data = std::time::Instant::now() - BUSY_FOR;
    // The module counts from its load, across readers: report what this run saw.
    let base = rings.stats();
    let mut last_stats = std::time::Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match control.try_recv() {
            Ok(Control::SetMask(m)) => {
                if let Err(e) = rings.set_event_mask(&m) {
                    log::error!("cannot update the driver's event mask: {e}");
                }
            }
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => {}
        }
        // Drain what is there, then hand over and wait for the next wakeup.
        fill(&mut rings, &mut batch, &counters);
        // The driver's counters cost system calls on eBPF (a map read, the programs' info):
        // refreshed a few times a second, not per batch.
        if last_stats.elapsed() >= STATS_EVERY {
            publish_stats(&rings, &base, &counters);
            last_stats = std::time::Instant::now();
        }
        if !batch.is_empty() {
            last_data = std::time::Instant::now();
            if !super::hand_over(&mut batch, &tx, &recycle) {
                break;
            }
            continue;
        }
        let timeout = if last_data.elapsed() < BUSY_FOR {
            BUSY_WAIT_MS
        } else {
            WAIT_MS
        };
        match rings.wait(timeout) {
            Ok(_) => {}
            Err(e) => {
                let _ = tx.send(SourceMsg::Fatal(e.to_string()));
                break;
            }
        }
    }
    // Stop producing, then hand over everything already in the rings: a stop loses no event
    // that was captured before it.
    let _ = rings.disable();
    loop {
        fill(&mut rings, &mut batch, &counters);
        if !batch.is_full() {
            break;
        }
        if !super::hand_over(&mut batch, &tx, &recycle) {
            return;
        }
    }
    publish_stats(&rings, &base, &counters);
    if !batch.is_empty() && tx.send(SourceMsg::Batch(batch)).is_err() {
        return;
    }
    let _ = tx.send(SourceMsg::Stopped);
}

/// How often the reader refreshes the driver's counters while it runs.
const STATS_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Stores the driver's event and drop counts since `base` (the counts when this run started).
fn publish_stats(rings: &RingSet, base: &RingStats, counters: &LiveCounters) {
    let s = rings.stats();
    counters
        .driver_events
        .store(s.events.saturating_sub(base.events), Ordering::Relaxed);
    let mut total = 0;
    for ((c, n), b) in counters
        .driver_drops_by_category
        .iter()
        .zip(s.drops)
        .zip(base.drops)
    {
        let d = n.saturating_sub(b);
        c.store(d, Ordering::Relaxed);
        total += d;
    }
    counters.driver_drops.store(total, Ordering::Relaxed);
}

/// Moves records from the rings into `batch` until the rings are empty or the batch is full,
/// counting them (and the ones that did not decode) in `counters`.
fn fill(rings: &mut RingSet, batch: &mut EventBatch, counters: &LiveCounters) {
    let before = batch.len();
    while let Some(r) = rings.next_record() {
        match r {
            Ok(rec) => {
                batch.push(&rec, 0, 0);
                batch.set_last_cpu(cpu_of(rings));
            }
            Err(_) => {
                counters.corrupt.fetch_add(1, Ordering::Relaxed);
            }
        }
        if batch.is_full() {
            break;
        }
    }
    counters
        .events
        .fetch_add((batch.len() - before) as u64, Ordering::Relaxed);
}
