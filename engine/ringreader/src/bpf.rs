//! The consumer side of a BPF ring buffer map (`BPF_MAP_TYPE_RINGBUF`), as the kernel lays it
//! out (kernel/bpf/ringbuf.c):
//!
//! ```text
//! offset 0             consumer page: u64 consumer_pos          (read-write for the reader)
//! offset PAGE          producer page: u64 producer_pos          (read-only)
//! offset 2 * PAGE      data pages, mapped twice back to back    (read-only)
//! ```
//!
//! Each record starts at an 8-byte-aligned position with an 8-byte header: a u32 length whose
//! bit 31 says the producer has reserved but not yet committed it and bit 30 that it was
//! discarded, then a u32 page offset the reader ignores. Positions only grow; a position maps
//! to `data[pos & (size - 1)]`, and the double mapping makes every record contiguous.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::error::{io, Error};

/// Bytes of the kernel's header before each record.
pub const HEADER_LEN: usize = 8;
const BUSY: u32 = 1 << 31;
const DISCARD: u32 = 1 << 30;

/// The kernel's page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).unwrap_or(4096)
}

/// Maps the consumer page (read-write) and the producer page with the doubled data pages
/// (read-only) of the ring buffer map `file` with `size` data bytes.
pub(crate) fn map(file: &File, size: u64, what: &Path) -> Result<(MmapMut, Mmap), Error> {
    let page = page_size();
    let ok = size.is_power_of_two() && size >= page as u64;
    let len = usize::try_from(size)
        .ok()
        .filter(|_| ok)
        .ok_or_else(|| Error::BadControl {
            device: what.into(),
            detail: format!("ring buffer size {size}"),
        })?;
    // SAFETY: the consumer page is shared with the kernel, which only reads it; we access its
    // first word through an atomic only.
    let consumer = unsafe { MmapOptions::new().len(page).map_mut(file) }
        .map_err(|e| io(format!("mmap consumer page of {}", what.display()), e))?;
    // SAFETY: read-only mapping the kernel writes under us only at positions the consumer
    // position says are not ours yet (and the producer word, read atomically).
    let data = unsafe {
        MmapOptions::new()
            .offset(page as u64)
            .len(page + 2 * len)
            .map(file)
    }
    .map_err(|e| io(format!("mmap data pages of {}", what.display()), e))?;
    Ok((consumer, data))
}

/// The consumer position.
pub(crate) fn consumer(control: &MmapMut) -> &AtomicU64 {
    // SAFETY: the mapping is page-aligned and at least 8 bytes; the word is only accessed
    // atomically (by us and by the kernel).
    unsafe { &*(control.as_ptr() as *const AtomicU64) }
}

/// The producer position.
pub(crate) fn producer(data: &Mmap) -> &AtomicU64 {
    // SAFETY: as for `consumer`; the kernel writes it atomically.
    unsafe { &*(data.as_ptr() as *const AtomicU64) }
}

/// The state of the record whose ring header is at data offset `off`.
pub(crate) enum Header {
    /// Reserved, not yet committed.
    Busy,
    /// Discarded by its producer: skip this many payload bytes.
    Discarded(usize),
    /// Committed, with this many payload bytes.
    Ready(usize),
}

/// Reads the ring header at data offset `off` (`None` when it lies outside the mapping).
pub(crate) fn header(data: &Mmap, off: usize) -> Option<Header> {
    let at = page_size() + off;
    if at + HEADER_LEN > data.len() || !at.is_multiple_of(8) {
        return None;
    }
    // SAFETY: in bounds and 8-byte aligned (checked above); the kernel commits the length word
    // with a release store, read here with acquire.
    let word = unsafe { &*(data.as_ptr().add(at) as *const AtomicU32) }.load(Ordering::Acquire);
    Some(if word & BUSY != 0 {
        Header::Busy
    } else if word & DISCARD != 0 {
        Header::Discarded((word & !(BUSY | DISCARD)) as usize)
    } else {
        Header::Ready(word as usize)
    })
}

/// Where the payload of the record whose header is at data offset `off` starts in the mapping.
pub(crate) fn record_offset(off: usize) -> usize {
    page_size() + off + HEADER_LEN
}

/// How far a record of `len` payload bytes moves the consumer position.
pub(crate) fn advance_len(len: usize) -> usize {
    (len + HEADER_LEN + 7) & !7
}
