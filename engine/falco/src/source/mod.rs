//! Event sources: where records come from. Each source runs on its own thread and hands the
//! engine batches of validated records through a bounded channel, recycling batch buffers so
//! the steady state allocates nothing.

pub mod batch;
pub mod kmod;
pub mod mask;
pub mod replay;

pub use batch::{EventBatch, EventRef};

use crossbeam_channel::{Receiver, Sender};

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
