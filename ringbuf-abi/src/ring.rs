// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The per-CPU ring shared between the kernel module (producer) and the engine (consumer).
//!
//! Each possible CPU has one device `/dev/falcoN`. Its mmap offsets are:
//!
//! | file offset | length | contents | protection |
//! |---|---|---|---|
//! | 0 | [`CONTROL_PAGE_SIZE`] | [`RingControl`] | read-write (the engine writes `tail`) |
//! | [`DATA_OFFSET`] | `2 * ring_size` | the data pages, mapped twice back to back | read-only |
//!
//! The engine maps the two separately (see [`data_map_len`]); a read-only inspector may map
//! `0..mmap_len(ring_size)` in one read-only mapping. Because the data pages appear twice in
//! a row, a record that starts at offset `o < ring_size` can be read as one contiguous slice
//! `data[o..o + len]` even when it runs past the end of the ring: **a record never wraps in
//! userspace** and there is no padding. The module maps the same pages twice in the kernel
//! too, so the producer also writes every record contiguously. Records start at positions
//! that are multiples of [`RECORD_ALIGN`] and are at most [`MAX_RECORD_LEN`] bytes.
//!
//! # Ownership of each word
//!
//! | field | written by | read by | notes |
//! |---|---|---|---|
//! | `abi_version`, `ring_size`, `cpu` | module, once, before the device can be opened | engine | constant afterwards |
//! | `head` | module only (Release store after the record bytes are written) | engine (Acquire load) | total bytes produced, monotonic, never wraps in practice (u64) |
//! | `tail` | engine only (Release store after it has finished reading the bytes) | module (Acquire load) | total bytes consumed, monotonic |
//! | `events`, `drops` | module only (Relaxed) | engine (Relaxed) | monotonic counters |
//! | `enabled` | module only | engine | mirrors the capture switch set by ioctl |
//!
//! Positions are byte counters; the offset in the data area is `position % ring_size`
//! (`ring_size` is a power of two, see [`data_offset`]). The consumer may assume: everything in
//! `[tail, head)` is complete, valid records, and the producer never writes into that range.
//! The producer may assume nothing about `tail` beyond it being a u64 (the page is writable by
//! userspace): it keeps its own copy of `head` and the counters in kernel memory, only
//! publishes them here, and treats any `tail` for which `head - tail > ring_size` as a full
//! ring. It writes a record only while at least [`MAX_RECORD_LEN`] bytes are free (so it can
//! encode in place without knowing the length first); otherwise it drops the event and counts it
//! in the drop counter of its category. It never overwrites unread data.
//!
//! A consumer loop is therefore:
//!
//! ```text
//! head = control.head.load(Acquire)
//! while tail < head:
//!     rec = Record::parse(&data[data_offset(tail, size)..][..(head - tail)])
//!     ...use rec...
//!     tail += aligned_len(rec.len())
//! control.tail.store(tail, Release)
//! ```

use core::sync::atomic::AtomicU64;

/// Version of this ABI; the engine refuses a module reporting another one.
///
/// 2: data pages mapped twice back to back (no padding records), split control/data mappings.
pub const ABI_VERSION: u32 = 2;

/// Size of the control page at the start of every mapping.
pub const CONTROL_PAGE_SIZE: usize = 4096;

/// File offset of the doubly mapped data area.
pub const DATA_OFFSET: usize = CONTROL_PAGE_SIZE;

/// How many times the data pages appear back to back in the data mapping.
pub const DATA_MAPPINGS: usize = 2;

/// Records start at positions that are multiples of this.
pub const RECORD_ALIGN: usize = 8;

/// Reserved event type (outside the event table's range). ABI 2 rings never contain it (the
/// double mapping makes padding unnecessary); readers treat it as an invalid record.
pub const PADDING_EVENT_TYPE: u16 = 0xFFFF;

/// Largest record a producer writes: one u16-length event with all 32 parameters at their
/// u16 maximum would exceed this, so producers truncate variable-length parameters to fit.
/// Always at most half the smallest valid ring, so a record fits in an empty ring.
pub const MAX_RECORD_LEN: usize = 8 * CONTROL_PAGE_SIZE;

/// Default ring size per CPU (8 MiB).
pub const DEFAULT_RING_SIZE: usize = 8 << 20;

/// Rounds a record length up to the next [`RECORD_ALIGN`] multiple.
#[inline]
pub const fn aligned_len(len: usize) -> usize {
    (len + RECORD_ALIGN - 1) & !(RECORD_ALIGN - 1)
}

/// True when `size` is a valid ring size: a power of two larger than two pages, and at least
/// twice [`MAX_RECORD_LEN`].
#[inline]
pub const fn is_valid_ring_size(size: usize) -> bool {
    size.is_power_of_two() && size > 2 * CONTROL_PAGE_SIZE && size >= 2 * MAX_RECORD_LEN
}

/// Offset of byte position `pos` in the data area of a ring of `ring_size` bytes.
#[inline]
pub const fn data_offset(pos: u64, ring_size: u64) -> usize {
    (pos & (ring_size - 1)) as usize
}

/// Length of the data mapping at [`DATA_OFFSET`]: the data pages twice.
#[inline]
pub const fn data_map_len(ring_size: usize) -> usize {
    DATA_MAPPINGS * ring_size
}

/// Length of a mapping of everything: control page plus the doubled data pages.
#[inline]
pub const fn mmap_len(ring_size: usize) -> usize {
    DATA_OFFSET + data_map_len(ring_size)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_offsets() {
        assert!(is_valid_ring_size(DEFAULT_RING_SIZE));
        assert!(is_valid_ring_size(2 * MAX_RECORD_LEN));
        assert!(!is_valid_ring_size(MAX_RECORD_LEN));
        assert!(!is_valid_ring_size(3 * MAX_RECORD_LEN));
        assert_eq!(data_offset(5 * 65536 + 12, 65536), 12);
        assert_eq!(data_map_len(65536), 131072);
        assert_eq!(mmap_len(65536), CONTROL_PAGE_SIZE + 131072);
        assert_eq!(aligned_len(27), 32);
    }
}
