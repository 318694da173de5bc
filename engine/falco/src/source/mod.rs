//! Event sources: where records come from. Each source runs on its own thread and hands the
//! engine batches of validated records through a bounded channel, recycling batch buffers so
//! the steady state allocates nothing.

pub mod batch;
pub mod replay;

pub use batch::{EventBatch, EventRef};
