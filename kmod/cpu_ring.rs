// SPDX-License-Identifier: GPL-2.0
//! One CPU's ring: its pages, the kernel-side double mapping, the producer and the mmap.
//!
//! Layout (the same in the kernel mapping and in userspace, see `ringbuf-abi/src/ring.rs`):
//! page 0 is the [`RingControl`] page, then the `size / PAGE_SIZE` data pages, then the same data
//! pages again. Because of the second copy a record starting anywhere in the data area is one
//! contiguous slice, for the producer here and for the reader.
//!
//! Ownership: `head` and the counters are kept in this struct (kernel memory) and only published
//! to the control page, which userspace may scribble on; `tail` is read from the control page and
//! never trusted beyond "how much is free" (an impossible value reads as a full ring).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::{
    alloc::flags::{GFP_KERNEL, __GFP_NOWARN, __GFP_ZERO},
    alloc::KVVec,
    bindings,
    fs::File,
    mm::virt::VmaNew,
    new_poll_condvar,
    page::{Page, PAGE_SIZE},
    prelude::*,
    sync::poll::{PollCondVar, PollTable},
};

use crate::bindings::{now_ns, unmap, vmap_pages, CpuGuard, FlushTimer};
use crate::ring::{
    aligned_len, RingControl, ABI_VERSION, CONTROL_PAGE_SIZE, DROP_CATEGORIES, MAX_RECORD_LEN,
};
pub(crate) use crate::ring::DropCategory;

/// Data older than this makes `poll()` report the ring readable even below the watermark, and
/// a producer wakes a reader armed this long ago: below the watermark, a record waits at most
/// about this long for its reader (the syscall-to-alert target is a p99 under 10 ms; Falco's
/// reader sleeps up to 30 ms). Under load that is at most ~1000 wake-ups per second per CPU.
const FLUSH_NS: u64 = 1_000_000;
/// Period of the flush timer while a reader sleeps (rounded up to a jiffy: 4 ms at HZ=250). It
/// only matters for the last records before a CPU goes quiet.
pub(crate) const FLUSH_MS: u32 = 1;

const _: () = assert!(CONTROL_PAGE_SIZE == PAGE_SIZE);

/// One CPU's ring buffer.
#[pin_data(PinnedDrop)]
pub(crate) struct Ring {
    /// The CPU this ring belongs to (also in the control page).
    #[allow(dead_code)]
    cpu: u32,
    /// Data bytes (a power of two).
    size: usize,
    /// Bytes of unread data that make `poll()` readable at once.
    watermark: u64,
    /// `[control, data...]`, owned here; user mappings hold their own page references.
    pages: KVVec<Page>,
    /// Kernel mapping: control page, data pages, data pages again.
    // INVARIANT: valid for (1 + 2 * size / PAGE_SIZE) pages until `drop`.
    base: *mut u8,
    /// Producer position (authoritative copy; the control page gets a published copy).
    head: AtomicU64,
    events: AtomicU64,
    drops: [AtomicU64; DROP_CATEGORIES],
    /// A reader found the ring not ready in `poll()` and may be sleeping.
    armed: AtomicBool,
    armed_at: AtomicU64,
    #[pin]
    wait: PollCondVar,
}

// SAFETY: `base` points to memory owned by the ring and only accessed through atomics or by the
// single producer of this CPU (preemption disabled, see `write`).
unsafe impl Send for Ring {}
// SAFETY: as above.
unsafe impl Sync for Ring {}

impl Ring {
    /// Allocates and maps a ring of `size` data bytes for `cpu`.
    ///
    /// # Errors
    /// ENOMEM when pages or the kernel mapping cannot be had.
    pub(crate) fn new(cpu: u32, size: usize) -> Result<impl PinInit<Self>> {
        let data_pages = size / PAGE_SIZE;
        // A ring too large for the machine fails the load with ENOMEM, without allocation
        // warnings in the kernel log (__GFP_NOWARN; the page arrays may need vmalloc).
        let mut pages = KVVec::new();
        let mut raw: KVVec<*mut bindings::page> = KVVec::new();
        let mut setup = || -> Result<*mut u8> {
            pages.reserve(1 + data_pages, GFP_KERNEL | __GFP_NOWARN)?;
            raw.reserve(1 + 2 * data_pages, GFP_KERNEL | __GFP_NOWARN)?;
            for _ in 0..1 + data_pages {
                pages.push(Page::alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN)?, GFP_KERNEL)?;
            }
            for p in pages.iter() {
                raw.push(p.as_ptr(), GFP_KERNEL)?;
            }
            for i in 0..data_pages {
                raw.push(pages[1 + i].as_ptr(), GFP_KERNEL)?;
            }
            // SAFETY: every entry is a page in `pages`, which the ring keeps until it unmaps.
            let base = unsafe { vmap_pages(&mut raw) };
            if base.is_null() {
                return Err(ENOMEM);
            }
            let ctl = base.cast::<RingControl>();
            // SAFETY: `base` maps the zeroed control page; nobody else can see it yet.
            unsafe {
                (&raw mut (*ctl).abi_version).write(ABI_VERSION);
                (&raw mut (*ctl).cpu).write(cpu);
                (&raw mut (*ctl).ring_size).write(size as u64);
            }
            Ok(base)
        };
        let base = setup()?;
        Ok(pin_init!(Ring {
            cpu,
            size,
            watermark: (*size / 16) as u64,
            base,
            pages,
            head: AtomicU64::new(0),
            events: AtomicU64::new(0),
            drops: [const { AtomicU64::new(0) }; DROP_CATEGORIES],
            armed: AtomicBool::new(false),
            armed_at: AtomicU64::new(0),
            wait <- new_poll_condvar!("falco_ring"),
        }))
    }

    fn ctl(&self) -> &RingControl {
        // SAFETY: INVARIANT of `base`; the control page is only accessed through atomics after
        // creation (the constant fields are never written again).
        unsafe { &*self.base.cast::<RingControl>() }
    }

    /// Sets the `enabled` mirror in the control page.
    pub(crate) fn publish_enabled(&self, on: bool) {
        self.ctl().enabled.store(on as u64, Ordering::Relaxed);
    }

    /// Unread bytes, or `None` when userspace wrote an impossible `tail`.
    fn used(&self, head: u64) -> Option<u64> {
        let used = head.wrapping_sub(self.ctl().tail.load(Ordering::Acquire));
        (used <= self.size as u64).then_some(used)
    }

    /// Counts one dropped event. Only the producer counts (a plain load and store, not an
    /// atomic increment): `_pinned` proves preemption is off on this ring's CPU, as in `write`.
    fn drop_event(&self, _pinned: &CpuGuard, cat: DropCategory) {
        let i = cat as usize;
        // PANIC: never, DropCategory values are < DROP_CATEGORIES (checked in the ABI crate).
        let n = self.drops[i].load(Ordering::Relaxed) + 1;
        self.drops[i].store(n, Ordering::Relaxed);
        self.ctl().drops[i].store(n, Ordering::Relaxed);
    }

    /// Writes one record: `fill` encodes it into a slice of at most `MAX_RECORD_LEN` bytes and
    /// returns its length (`Err` when it does not fit, counted as [`DropCategory::TooLarge`]).
    /// The record is dropped and counted under `cat` when the ring has less than
    /// `MAX_RECORD_LEN` bytes free. `may_wake` allows waking a sleeping reader from here.
    ///
    /// The `CpuGuard` proves preemption is disabled and this is `cpu`'s ring: the only producer.
    pub(crate) fn write<E>(
        &self,
        pinned: &CpuGuard,
        cat: DropCategory,
        may_wake: bool,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) {
        let head = self.head.load(Ordering::Relaxed);
        let Some(used) = self.used(head) else {
            self.drop_event(pinned, cat);
            return;
        };
        if self.size as u64 - used < MAX_RECORD_LEN as u64 {
            self.drop_event(pinned, cat);
            return;
        }
        let off = (head & (self.size as u64 - 1)) as usize;
        // SAFETY: `off < size` and `MAX_RECORD_LEN <= size`, so the slice lies within the doubled
        // data mapping (INVARIANT of `base`). The reader only reads `[tail, head)`, which is
        // disjoint from `[head, head + free)` and free >= MAX_RECORD_LEN; we are the only writer.
        let buf = unsafe {
            core::slice::from_raw_parts_mut(self.base.add(PAGE_SIZE + off), MAX_RECORD_LEN)
        };
        let len = match fill(buf) {
            Ok(len) if len <= MAX_RECORD_LEN => len,
            _ => {
                self.drop_event(pinned, DropCategory::TooLarge);
                return;
            }
        };
        let head = head + aligned_len(len) as u64;
        self.head.store(head, Ordering::Relaxed);
        // Release: the record bytes are visible before the reader sees the new head.
        self.ctl().head.store(head, Ordering::Release);
        let ev = self.events.load(Ordering::Relaxed) + 1;
        self.events.store(ev, Ordering::Relaxed);
        self.ctl().events.store(ev, Ordering::Relaxed);
        if may_wake && self.armed.load(Ordering::Relaxed) {
            let late = now_ns().wrapping_sub(self.armed_at.load(Ordering::Relaxed)) >= FLUSH_NS;
            if (used + len as u64 >= self.watermark || late) && self.armed.swap(false, Ordering::AcqRel) {
                self.wait.notify_all();
            }
        }
    }

    /// `poll()`: readable when the unread data reaches the watermark or its oldest record is
    /// older than `FLUSH_NS`; otherwise the reader is armed for a producer wake-up.
    pub(crate) fn poll(&self, file: &File, table: PollTable<'_>) -> u32 {
        table.register_wait(file, &self.wait);
        let head = self.head.load(Ordering::Relaxed);
        let used = self.used(head).unwrap_or(self.size as u64);
        let ready = if used >= self.watermark {
            true
        } else if used > 0 {
            let tail = head - used;
            let off = (tail & (self.size as u64 - 1)) as usize;
            // SAFETY: `off + 8 <= 2 * size` lies in the data mapping; a torn or stale value only
            // changes when we report readiness.
            let ts = unsafe { core::ptr::read_unaligned(self.base.add(PAGE_SIZE + off).cast::<u64>()) };
            now_ns().wrapping_sub(ts) >= FLUSH_NS
        } else {
            false
        };
        if ready {
            return bindings::POLLIN | bindings::POLLRDNORM;
        }
        // A reader polling again after its own timeout has been waiting since it first armed:
        // keep that time, so its records are not held for another full `FLUSH_NS`. (A producer
        // disarming in between leaves an older time: the next record wakes at once.)
        if !self.armed.load(Ordering::Acquire) {
            self.armed_at.store(now_ns(), Ordering::Relaxed);
        }
        self.armed.store(true, Ordering::Release);
        // The producer's wake-up is fence-free, so it can miss a reader arming concurrently with
        // its last event; the flush timer bounds that (and a quiet CPU's pending data) to a jiffy or two.
        FlushTimer::arm(FLUSH_MS);
        0
    }

    /// The flush timer fired: wake an armed reader when data is pending. Returns true while a
    /// reader stays armed (so the timer keeps checking).
    pub(crate) fn flush(&self) -> bool {
        if !self.armed.load(Ordering::Acquire) {
            return false;
        }
        let pending = self.used(self.head.load(Ordering::Relaxed)).is_none_or(|u| u > 0);
        if pending && self.armed.swap(false, Ordering::AcqRel) {
            self.wait.notify_all();
            return false;
        }
        true
    }

    /// Maps the pages `vma` asks for. Offset 0 is the control page (may be writable); every
    /// other page is data and forces a read-only mapping.
    ///
    /// # Errors
    /// EINVAL for a range outside the layout, EACCES (from the VMA helpers) for a writable
    /// mapping of data pages, or an error of `vm_insert_page`.
    pub(crate) fn mmap(&self, vma: &VmaNew) -> Result {
        let data_pages = self.size / PAGE_SIZE;
        let total = 1 + 2 * data_pages;
        let len = vma.end() - vma.start();
        // SAFETY: reading a plain field of the VMA under construction, which we hold.
        let pgoff = unsafe { (*vma.as_ptr()).vm_pgoff } as usize;
        if len % PAGE_SIZE != 0 || pgoff >= total || len / PAGE_SIZE > total - pgoff {
            return Err(EINVAL);
        }
        let npages = len / PAGE_SIZE;
        if pgoff + npages > 1 {
            vma.try_clear_maywrite()?;
        }
        vma.set_dontcopy();
        vma.set_dontexpand();
        vma.set_dontdump();
        let mixed = vma.set_mixedmap();
        for i in 0..npages {
            let p = pgoff + i;
            let idx = if p == 0 { 0 } else { 1 + (p - 1) % data_pages };
            let page = self.pages.get(idx).ok_or(EINVAL)?;
            mixed.vm_insert_page(vma.start() + i * PAGE_SIZE, page)?;
        }
        Ok(())
    }

    /// Events written and dropped so far, by category.
    pub(crate) fn stats(&self) -> (u64, [u64; DROP_CATEGORIES]) {
        let mut d = [0; DROP_CATEGORIES];
        for (o, a) in d.iter_mut().zip(self.drops.iter()) {
            *o = a.load(Ordering::Relaxed);
        }
        (self.events.load(Ordering::Relaxed), d)
    }

    /// Events written and dropped so far (all categories).
    pub(crate) fn counts(&self) -> (u64, u64) {
        let drops = self.drops.iter().map(|d| d.load(Ordering::Relaxed)).sum();
        (self.events.load(Ordering::Relaxed), drops)
    }
}

#[pinned_drop]
impl PinnedDrop for Ring {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `base` came from vmap_pages and no probe or file can use it any more (probes
        // are unregistered and synchronised, and open files hold the module).
        unsafe { unmap(self.base) };
    }
}
