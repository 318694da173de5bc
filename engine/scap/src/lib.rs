//! `.scap` capture files: a streaming reader (plain and gzip), a writer, and a converter
//! that upgrades old event layouts to the current schema.
//!
//! ```no_run
//! # fn main() -> Result<(), falco_scap::ScapError> {
//! let mut reader = falco_scap::CaptureReader::open("trace.scap.gz")?;
//! println!("{} threads", reader.metadata().threads.len());
//! while let Some(ev) = reader.next_event()? {
//!     println!("{} {} {}", ev.cpu, ev.record.evtype(), ev.record.tid());
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod block;
pub mod convert;
pub mod error;
pub mod meta;
pub mod reader;
pub mod writer;

/// The gzip implementation the reader and writer use, for callers that build or wrap
/// compressed streams themselves (e.g. tests).
pub use flate2;

pub use convert::{Conversion, Converter};
pub use error::ScapError;
pub use meta::{
    CaptureMetadata, FdEntry, FdInfo, FdList, GroupEntry, IfAddr, Interface, MachineInfo,
    ThreadEntry, UserEntry,
};
pub use reader::{CaptureReader, CapturedEvent, ReaderStats, DF_STATE_ONLY};
pub use writer::{CaptureWriter, FileSink};
