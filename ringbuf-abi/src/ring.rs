//! The per-CPU ring shared between the kernel module (producer) and the engine (consumer).
//!
//! Each CPU has one device `/dev/falcoN`. Mapping it gives, at offset 0, one page holding
//! [`RingControl`], followed at offset [`CONTROL_PAGE_SIZE`] by `ring_size` bytes of data.
//! The data area holds event records (see [`crate::record`]) starting at offsets that are
//! multiples of [`RECORD_ALIGN`].
//!
//! # Ownership of each word
//!
//! | field | written by | read by | notes |
//! |---|---|---|---|
//! | `abi_version`, `ring_size`, `cpu` | module, once, before the device can be opened | engine | constant afterwards |
//! | `head` | module only (Release store after the record bytes are written) | engine (Acquire load) | total bytes produced, monotonic, never wraps in practice (u64) |
//! | `tail` | engine only (Release store after it has finished reading the bytes) | module (Acquire load) | total bytes consumed, monotonic |
//! | `events`, `drops_*` | module only (Relaxed) | engine (Relaxed) | monotonic counters |
//! | `enabled` | module only | engine | mirrors the capture switch set by ioctl |
//!
//! Positions are byte counters; the offset in the data area is `position % ring_size`
//! (`ring_size` is a power of two). The consumer may assume: everything in
//! `[tail, head)` is complete, valid records, and the producer never writes into that range.
//! The producer may assume: the consumer never reads past `head` and never moves `tail`
//! backwards or past `head`. When `head - tail + needed > ring_size` the producer drops the
//! event and counts it in the drop counter of its category; it never overwrites unread data.
//!
//! # Wrapping
//!
//! A record never wraps around the end of the data area. When fewer bytes than the record
//! needs remain before the end, the producer fills the rest of the area with padding: if at
//! least [`crate::record::HEADER_LEN`] bytes remain it writes a header whose type is
//! [`PADDING_EVENT_TYPE`] and whose `len` covers the remainder; if fewer remain the consumer
//! skips them without reading (they are below the size of any header). Then the record is
//! written at offset 0. Padding counts towards `head` like any other byte.

use core::sync::atomic::AtomicU64;

/// Version of this ABI; the engine refuses a module reporting another one.
pub const ABI_VERSION: u32 = 1;

/// Size of the control page at the start of every mapping.
pub const CONTROL_PAGE_SIZE: usize = 4096;

/// Records start at positions that are multiples of this.
pub const RECORD_ALIGN: usize = 8;

/// Event type written into padding headers (outside the event table's range).
pub const PADDING_EVENT_TYPE: u16 = 0xFFFF;

/// Default ring size per CPU (8 MiB).
pub const DEFAULT_RING_SIZE: usize = 8 << 20;

/// Rounds a record length up to the next [`RECORD_ALIGN`] multiple.
#[inline]
pub const fn aligned_len(len: usize) -> usize {
    (len + RECORD_ALIGN - 1) & !(RECORD_ALIGN - 1)
}

/// True when `size` is a valid ring size: a power of two larger than two pages.
#[inline]
pub const fn is_valid_ring_size(size: usize) -> bool {
    size.is_power_of_two() && size > 2 * CONTROL_PAGE_SIZE
}

/// Why an event could not be stored: each category has its own drop counter.
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropCategory {
    /// Syscall enter events lost to a full ring.
    SyscallEnter = 0,
    /// Syscall exit events lost to a full ring.
    SyscallExit = 1,
    /// Process lifecycle events (fork, exec, exit) lost to a full ring.
    Process = 2,
    /// Events that did not fit in the per-event scratch space (truncated beyond repair).
    TooLarge = 3,
    /// Events lost because reading user memory failed in a way that invalidates the event.
    Fault = 4,
}

/// Number of drop categories.
pub const DROP_CATEGORIES: usize = 5;

/// The control page at offset 0 of each per-CPU mapping. See the module docs for who writes
/// which word.
#[repr(C)]
#[derive(Debug)]
pub struct RingControl {
    /// [`ABI_VERSION`] of the module that created the ring.
    pub abi_version: u32,
    /// The CPU this ring belongs to.
    pub cpu: u32,
    /// Size of the data area in bytes (a power of two).
    pub ring_size: u64,
    /// Total bytes produced (module).
    pub head: AtomicU64,
    /// Total bytes consumed (engine).
    pub tail: AtomicU64,
    /// Total events written (module).
    pub events: AtomicU64,
    /// Events dropped, by [`DropCategory`] (module).
    pub drops: [AtomicU64; DROP_CATEGORIES],
    /// 1 while capture is enabled (module).
    pub enabled: AtomicU64,
}

const _: () = assert!(core::mem::size_of::<RingControl>() <= CONTROL_PAGE_SIZE);
const _: () = assert!(core::mem::offset_of!(RingControl, abi_version) == 0);
const _: () = assert!(core::mem::offset_of!(RingControl, cpu) == 4);
const _: () = assert!(core::mem::offset_of!(RingControl, ring_size) == 8);
const _: () = assert!(core::mem::offset_of!(RingControl, head) == 16);
const _: () = assert!(core::mem::offset_of!(RingControl, tail) == 24);
const _: () = assert!(core::mem::offset_of!(RingControl, events) == 32);
const _: () = assert!(core::mem::offset_of!(RingControl, drops) == 40);
const _: () = assert!(core::mem::offset_of!(RingControl, enabled) == 40 + 8 * DROP_CATEGORIES);
const _: () = assert!(is_valid_ring_size(DEFAULT_RING_SIZE));
