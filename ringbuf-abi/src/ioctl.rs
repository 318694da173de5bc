// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! ioctl numbers of the `/dev/falcoN` devices (Linux `_IOC` encoding, magic `'f'`).

/// The ioctl magic ("type") byte.
pub const MAGIC: u8 = b'f';

const NONE: u32 = 0;
const WRITE: u32 = 1;
const READ: u32 = 2;

/// Linux's `_IOC(dir, type, nr, size)`.
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}

/// Number of u64 words in an [`EventMask`]: one bit per event id, rounded up.
pub const EVENT_MASK_WORDS: usize = crate::event_table::EVENT_COUNT.div_ceil(64);

/// The set of event ids the module should produce: bit `id % 64` of word `id / 64`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventMask {
    /// The bits.
    pub words: [u64; EVENT_MASK_WORDS],
}

impl EventMask {
    /// A mask with every event id set.
    pub const fn all() -> Self {
        EventMask {
            words: [u64::MAX; EVENT_MASK_WORDS],
        }
    }
    /// Sets the bit of `id`; ids past the table are ignored.
    pub fn set(&mut self, id: u16) {
        if let Some(w) = self.words.get_mut(id as usize / 64) {
            *w |= 1u64 << (id % 64);
        }
    }
    /// True when the bit of `id` is set.
    pub fn contains(&self, id: u16) -> bool {
        self.words
            .get(id as usize / 64)
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }
}

/// Number of u64 words in a [`SyscallMask`]: one bit per native syscall number below 512.
pub const SYSCALL_MASK_WORDS: usize = 8;

/// The native syscall numbers the module reports (enter and exit events alike): bit `nr % 64`
/// of word `nr / 64`. Process events (fork, exec, exit) do not depend on it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyscallMask {
    /// The bits.
    pub words: [u64; SYSCALL_MASK_WORDS],
}

impl SyscallMask {
    /// Every syscall.
    pub const fn all() -> Self {
        SyscallMask {
            words: [u64::MAX; SYSCALL_MASK_WORDS],
        }
    }
    /// Sets the bit of syscall `nr`; numbers past the mask are ignored.
    pub fn set(&mut self, nr: u32) {
        if let Some(w) = self.words.get_mut(nr as usize / 64) {
            *w |= 1u64 << (nr % 64);
        }
    }
    /// True when the bit of `nr` is set.
    pub fn contains(&self, nr: u32) -> bool {
        self.words
            .get(nr as usize / 64)
            .is_some_and(|w| w & (1u64 << (nr % 64)) != 0)
    }
}

/// Totals over every ring, as [`GET_STATS`] returns them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events written.
    pub events: u64,
    /// Events dropped, by [`crate::ring::DropCategory`].
    pub drops: [u64; crate::ring::DROP_CATEGORIES],
}

/// Bytes of a buffer parameter copied until [`SET_SNAPLEN`] says otherwise (Falco's default).
pub const DEFAULT_SNAPLEN: u32 = 80;
/// Largest snaplen [`SET_SNAPLEN`] accepts.
pub const MAX_SNAPLEN: u32 = 16 * 1024;

/// Returns [`crate::ring::ABI_VERSION`] of the loaded module (u32 out).
pub const GET_ABI_VERSION: u32 = ioc(READ, MAGIC, 0, core::mem::size_of::<u32>());
/// Starts producing events on every CPU.
pub const ENABLE_CAPTURE: u32 = ioc(NONE, MAGIC, 1, 0);
/// Stops producing events on every CPU.
pub const DISABLE_CAPTURE: u32 = ioc(NONE, MAGIC, 2, 0);
/// Sets the maximum bytes copied for buffer parameters (u32 in).
pub const SET_SNAPLEN: u32 = ioc(WRITE, MAGIC, 3, core::mem::size_of::<u32>());
/// Sets the [`EventMask`] of event ids to produce (pointer to EventMask in).
pub const SET_EVENT_MASK: u32 = ioc(WRITE, MAGIC, 4, core::mem::size_of::<EventMask>());
/// When non-zero, failed syscalls are not reported (u32 in).
pub const SET_DROP_FAILED: u32 = ioc(WRITE, MAGIC, 5, core::mem::size_of::<u32>());

/// Sets the [`SyscallMask`] of native syscalls to report (pointer to SyscallMask in).
pub const SET_SYSCALL_MASK: u32 = ioc(WRITE, MAGIC, 6, core::mem::size_of::<SyscallMask>());
/// Returns the [`Stats`] summed over every ring (pointer to Stats out).
pub const GET_STATS: u32 = ioc(READ, MAGIC, 7, core::mem::size_of::<Stats>());

const _: () = assert!(core::mem::size_of::<EventMask>() == 8 * EVENT_MASK_WORDS);
const _: () = assert!(core::mem::size_of::<SyscallMask>() == 64);
const _: () = assert!(core::mem::size_of::<Stats>() == 8 + 8 * crate::ring::DROP_CATEGORIES);
const _: () = assert!(EVENT_MASK_WORDS * 64 >= crate::event_table::EVENT_COUNT);
