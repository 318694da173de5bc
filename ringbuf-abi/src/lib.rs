// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The ABI shared by the falco kernel module and the engine: the event record (scap event
//! format), the event schema, the per-CPU ring control page and the ioctl numbers.
//!
//! `#![no_std]` with no dependencies: the kernel module includes these files directly (by
//! `#[path]`), the engine depends on the crate. Nothing here allocates.
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[rustfmt::skip]
pub mod event_table;
pub mod ioctl;
pub mod ppm;
pub mod record;
pub mod ring;
pub mod schema;
#[rustfmt::skip]
pub mod syscall_codes;

pub use event_table::{ids, EVENT_COUNT, EVENT_TABLE};
pub use record::{encode_record, DecodeError, NoRoom, ParamIter, Record, RecordParams};
pub use schema::{Direction, EventInfo, ParamInfo, ParamType, PrintFormat};

/// Looks up the schema of an event id; `None` past the end of the table.
pub fn event_info(id: u16) -> Option<&'static EventInfo> {
    EVENT_TABLE.get(id as usize)
}
