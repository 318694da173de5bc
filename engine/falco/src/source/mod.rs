//! Event sources: where records come from. Each source runs on its own thread and hands the
//! engine batches of validated records through a bounded channel, recycling batch buffers so
//! the steady state allocates nothing. A new driver is a module here and a [`Running`] variant;
//! the pipeline and the live capture writer both read sources through these types.

pub mod batch;
pub mod k8saudit;
pub mod kmod;
pub mod mask;
pub mod replay;

pub use batch::{EventBatch, EventRef};

use crossbeam_channel::{Receiver, Sender};
use kmod::Live;
use replay::Replay;

/// A started source, whichever kind.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per run, never moved after the start"
)]
pub enum Running {
    /// A capture file.
    Replay(Replay),
    /// The kernel module's rings.
    Live(Live),
    /// No syscall source (`--disable-source syscall`): the other sources run alone.
    Idle(Idle),
}

/// The syscall source turned off: no records. The other sources' evaluator sends
/// [`SourceMsg::Stopped`] through [`Idle::ended`] when their input ends, which ends the run as
/// the end of a capture does.
pub struct Idle {
    /// Where the end arrives.
    pub events: Receiver<SourceMsg>,
    /// For the other sources to say they ended.
    pub ended: Sender<SourceMsg>,
    /// Unused: no batches to recycle.
    pub recycle: Sender<EventBatch>,
    _recycled: Receiver<EventBatch>,
}

impl Idle {
    /// An idle source.
    pub fn new() -> Idle {
        let (ended, events) = crossbeam_channel::bounded(1);
        let (recycle, recycled) = crossbeam_channel::bounded(1);
        Idle {
            events,
            ended,
            recycle,
            _recycled: recycled,
        }
    }
}

impl Default for Idle {
    fn default() -> Self {
        Idle::new()
    }
}

impl Running {
    /// Batches, errors and the end marker.
    pub fn events(&self) -> &Receiver<SourceMsg> {
        match self {
            Running::Replay(r) => &r.events,
            Running::Live(l) => &l.events,
            Running::Idle(i) => &i.events,
        }
    }

    /// Where emptied batches go back for reuse.
    pub fn recycle(&self) -> &Sender<EventBatch> {
        match self {
            Running::Replay(r) => &r.recycle,
            Running::Live(l) => &l.recycle,
            Running::Idle(i) => &i.recycle,
        }
    }
}

/// What a source thread sends to the engine.
#[derive(Debug)]
pub enum SourceMsg {
    /// Records, in order.
    Batch(EventBatch),
    /// The source cannot go on (message for the user, e.g. a capture error with its offset).
    Fatal(String),
    /// The source ended normally (end of capture, or stop requested).
    Stopped,
}

/// Sends `batch` to the engine and leaves an empty one in its place, recycled when the engine
/// gave one back. False when the engine is gone.
pub(crate) fn hand_over(
    batch: &mut EventBatch,
    tx: &Sender<SourceMsg>,
    recycle: &Receiver<EventBatch>,
) -> bool {
    let mut next = recycle
        .try_recv()
        .unwrap_or_else(|_| EventBatch::with_capacity());
    next.clear();
    tx.send(SourceMsg::Batch(std::mem::replace(batch, next)))
        .is_ok()
}
