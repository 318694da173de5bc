// SPDX-License-Identifier: GPL-2.0
//! The capture: every CPU's ring plus the settings the ioctls change.
//!
//! One `Capture` exists while the module is loaded. Probes, file operations and the flush timer
//! reach it through [`Capture::with`], which lends it for one call only; the module publishes it
//! before registering anything that can call back and withdraws it only after those
//! registrations are gone (see `module.rs`).

use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

use crate::ioctl::{DEFAULT_SNAPLEN, EVENT_MASK_WORDS, MAX_SNAPLEN, SYSCALL_MASK_WORDS};
use crate::cpu_ring::Ring;

static CURRENT: AtomicPtr<Capture> = AtomicPtr::new(ptr::null_mut());

/// Rings and settings.
pub(crate) struct Capture {
    rings: KVec<Pin<KBox<Ring>>>,
    enabled: AtomicBool,
    snaplen: AtomicU32,
    drop_failed: AtomicBool,
    mask: [AtomicU64; EVENT_MASK_WORDS],
    syscalls: [AtomicU64; SYSCALL_MASK_WORDS],
    /// Open files; capture stops when the last one closes.
    opens: AtomicU32,
    verbose: bool,
}

impl Capture {
    /// Allocates one ring of `ring_size` bytes for each of the `ncpus` possible CPU ids.
    ///
    /// # Errors
    /// ENOMEM.
    pub(crate) fn new(ncpus: usize, ring_size: usize, verbose: bool) -> Result<Capture> {
        let mut rings = KVec::with_capacity(ncpus, GFP_KERNEL)?;
        for cpu in 0..ncpus {
            rings.push(KBox::pin_init(Ring::new(cpu as u32, ring_size)?, GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Capture {
            rings,
            enabled: AtomicBool::new(false),
            snaplen: AtomicU32::new(DEFAULT_SNAPLEN),
            drop_failed: AtomicBool::new(false),
            mask: [const { AtomicU64::new(u64::MAX) }; EVENT_MASK_WORDS],
            syscalls: [const { AtomicU64::new(u64::MAX) }; SYSCALL_MASK_WORDS],
            opens: AtomicU32::new(0),
            verbose,
        })
    }

    /// Makes `c` the capture probes and devices see.
    ///
    /// # Safety
    /// `c` must stay valid until [`Capture::withdraw`] has returned and no probe or file
    /// operation that could have seen it is still running.
    pub(crate) unsafe fn publish(c: &Capture) {
        CURRENT.store(c as *const Capture as *mut Capture, Ordering::Release);
    }

    /// Hides the capture again.
    pub(crate) fn withdraw() {
        CURRENT.store(ptr::null_mut(), Ordering::Release);
    }

    /// Runs `f` with the published capture; `None` (and `f` not called) when none is published.
    ///
    /// The capture is lent for the call only: `f` cannot keep the reference, so no caller can
    /// outlive the window in which `publish`'s contract keeps the capture alive.
    #[inline]
    pub(crate) fn with<R>(f: impl FnOnce(&Capture) -> R) -> Option<R> {
        let p = CURRENT.load(Ordering::Acquire);
        // SAFETY: `publish`'s contract keeps the capture alive while it is published and until
        // every caller (a probe, a file operation or the flush timer) that could have loaded it
        // has returned (see module.rs for the teardown order that guarantees it); the reference
        // does not leave this call.
        unsafe { p.as_ref() }.map(f)
    }

    /// The ring of `cpu`.
    #[inline]
    pub(crate) fn ring(&self, cpu: usize) -> Option<&Ring> {
        self.rings.get(cpu).map(|r| &**r)
    }

    /// All rings.
    pub(crate) fn rings(&self) -> impl Iterator<Item = &Ring> {
        self.rings.iter().map(|r| &**r)
    }

    /// Number of rings (possible CPU ids).
    pub(crate) fn nr_rings(&self) -> usize {
        self.rings.len()
    }

    #[inline]
    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        for r in self.rings() {
            r.publish_enabled(on);
        }
        if self.verbose {
            pr_info!("capture {}\n", if on { "enabled" } else { "disabled" });
        }
    }

    /// Bytes of I/O buffers to copy (read/write/sendto/recvfrom payloads).
    #[inline]
    pub(crate) fn snaplen(&self) -> usize {
        self.snaplen.load(Ordering::Relaxed) as usize
    }

    pub(crate) fn set_snaplen(&self, v: u32) -> Result {
        if v > MAX_SNAPLEN {
            return Err(EINVAL);
        }
        self.snaplen.store(v, Ordering::Relaxed);
        Ok(())
    }

    #[inline]
    pub(crate) fn drop_failed(&self) -> bool {
        self.drop_failed.load(Ordering::Relaxed)
    }

    pub(crate) fn set_drop_failed(&self, v: bool) {
        self.drop_failed.store(v, Ordering::Relaxed);
    }

    /// True when event id `evtype` is selected.
    #[inline]
    pub(crate) fn wants(&self, evtype: u16) -> bool {
        self.mask
            .get(evtype as usize / 64)
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1u64 << (evtype % 64)) != 0)
    }

    /// True when native syscall `nr` is selected (numbers past the mask are always reported).
    #[inline]
    pub(crate) fn wants_syscall(&self, nr: i64) -> bool {
        match self.syscalls.get((nr as u64 / 64) as usize) {
            Some(w) => w.load(Ordering::Relaxed) & (1u64 << (nr as u64 % 64)) != 0,
            None => true,
        }
    }

    pub(crate) fn set_syscall_mask(&self, words: &[u64; SYSCALL_MASK_WORDS]) {
        for (m, w) in self.syscalls.iter().zip(words.iter()) {
            m.store(*w, Ordering::Relaxed);
        }
    }

    /// Events and drops summed over every ring.
    pub(crate) fn stats(&self) -> crate::ioctl::Stats {
        let mut s = crate::ioctl::Stats::default();
        for r in self.rings() {
            let (events, drops) = r.stats();
            s.events += events;
            for (a, b) in s.drops.iter_mut().zip(drops.iter()) {
                *a += b;
            }
        }
        s
    }

    pub(crate) fn set_mask(&self, words: &[u64; EVENT_MASK_WORDS]) {
        for (m, w) in self.mask.iter().zip(words.iter()) {
            m.store(*w, Ordering::Relaxed);
        }
    }

    pub(crate) fn file_opened(&self) {
        self.opens.fetch_add(1, Ordering::Relaxed);
    }

    /// A file closed; the last one stops the capture (no reader, no point producing).
    pub(crate) fn file_closed(&self) {
        if self.opens.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.set_enabled(false);
        }
    }

    pub(crate) fn verbose(&self) -> bool {
        self.verbose
    }
}
