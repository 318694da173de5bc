//! Reader of the falco kernel module's per-CPU rings.
//!
//! The module exposes one device `/dev/falcoN` per possible CPU. [`RingSet::open`] opens and
//! maps every one of them (control page read-write, data pages read-only and doubly mapped, see
//! [`ringbuf_abi::ring`]), [`RingSet::wait`] sleeps in `poll()` until a ring has data, and
//! [`RingSet::next_record`] hands out records from all rings merged in timestamp order.
//!
//! Ordering is per snapshot: records are merged by timestamp among those already published
//! when the reader looked, so a record published later on another CPU with an earlier
//! timestamp is returned after (the same guarantee Falco's own readers give).
#![deny(missing_docs)]

mod device;
mod error;

pub use device::{DropCounts, Ring, RingSet, RingStats};
pub use error::Error;
