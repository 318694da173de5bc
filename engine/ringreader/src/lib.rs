//! Reader of the drivers' rings: the falco kernel module's per-CPU rings and the eBPF
//! driver's BPF ring buffers, merged by one reader.
//!
//! The module exposes one device `/dev/falcoN` per possible CPU. [`RingSet::open`] opens and
//! maps every one of them (control page read-write, data pages read-only and doubly mapped, see
//! [`ringbuf_abi::ring`]). The eBPF driver hands over its BPF ring buffer maps, read the same
//! way (see [`bpf`]) and controlled through a [`Driver`]. [`RingSet::wait`] sleeps in
//! `epoll_wait()` until a ring has data, and [`RingSet::next_record`] hands out records from
//! all rings merged in timestamp order.
//!
//! A record is handed out only once every ring was looked at again after it became visible, so
//! whatever another CPU published before it (a thread's previous syscall before it migrated)
//! comes out first. A record published later with an earlier timestamp (its producer was
//! delayed between taking the timestamp and publishing) can still come out after.
#![deny(missing_docs)]

pub mod bpf;
mod device;
mod error;

pub use device::{Driver, DropCounts, Preemption, Ring, RingSet, RingStats};
pub use error::Error;
