//! The values of the programs' control maps, laid out as `bpf/common.h` declares them.

use ringbuf_abi::ioctl::EVENT_MASK_WORDS;
use ringbuf_abi::ring::DROP_CATEGORIES;

/// `struct settings`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Settings {
    pub boot_offset: u64,
    pub enabled: u32,
    pub snaplen: u32,
    pub drop_failed: u32,
    pub cpus_per_ring: u32,
    pub nrings: u32,
    pub tree_root: u32,
}

/// `struct event_mask`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mask {
    pub words: [u64; EVENT_MASK_WORDS],
}

/// `struct counters`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub events: u64,
    pub drops: [u64; DROP_CATEGORIES],
    pub recovered: [u64; TP_COUNT],
}

/// Attach points with a fallback program (`TP_COUNT` in `bpf/common.h`).
pub(crate) const TP_COUNT: usize = 5;

// SAFETY: plain old data: `repr(C)` integers and arrays of them with no padding (u64 first,
// then six u32), valid for any bit pattern.
unsafe impl aya::Pod for Settings {}
// SAFETY: as above (u64 words only).
unsafe impl aya::Pod for Mask {}
// SAFETY: as above (u64 words only).
unsafe impl aya::Pod for Counters {}

const _: () = assert!(core::mem::size_of::<Settings>() == 32);
