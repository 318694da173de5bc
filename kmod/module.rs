// SPDX-License-Identifier: GPL-2.0
//! Module load and unload: the order in which rings, probes and devices come and go.
//!
//! Load (the initialiser's order): rings → publish → probes → devices. Unload (the field
//! declaration order, which is Rust's drop order) is the reverse: devices (no new opens; open
//! files pin the module, so none remain), probes (detached and synchronised: no probe still
//! runs), withdraw, rings. If a step of the load fails, pin-init drops the fields already
//! initialised in reverse order, which is the same teardown.

use kernel::prelude::*;

use crate::bindings::{total_ram, FlushTimer};
use crate::capture::Capture;
use crate::device::{self, Devices};
use crate::probe::Probes;
use crate::ring::{is_valid_ring_size, MAX_RECORD_LEN};

/// The loaded module. Fields are declared in teardown order.
#[pin_data(PinnedDrop)]
pub(crate) struct FalcoModule {
    devices: Devices,
    probes: Probes,
    published: Published,
    capture: KBox<Capture>,
}

/// Withdraws the published capture when dropped (before the capture itself is freed), after
/// stopping the flush timer that reads it.
pub(crate) struct Published {
    _flush: FlushTimer,
}

impl Drop for Published {
    fn drop(&mut self) {
        // Hide the capture, then (when `_flush` drops right after this body) wait for a running
        // timer callback: one that fetched the capture before the withdraw finishes before the
        // capture field is freed, and later callbacks find nothing.
        Capture::withdraw();
    }
}

/// Flush-timer callback: wake readers whose ring holds pending data.
///
/// # Safety
/// Called only by the shim's timer (`falco_flush_cb` in shim.c), in softirq context: never
/// before [`FlushTimer::new`] set it up, never after the `FlushTimer` in [`Published`] dropped
/// (`timer_shutdown_sync` waits for a running callback and stops further ones). It takes no
/// arguments; what it reads it reaches through [`Capture::with`].
unsafe extern "C" fn flush_rings() {
    Capture::with(|cap| {
        let mut waiting = false;
        for r in cap.rings() {
            waiting |= r.flush();
        }
        // Keep checking while a reader sleeps and events can still come (a disabled capture,
        // e.g. after the last reader closed, lets the timer stop).
        if waiting && cap.enabled() {
            FlushTimer::arm(crate::cpu_ring::FLUSH_MS);
        }
    });
}

fn new_capture() -> Result<KBox<Capture>> {
    let size = crate::module_parameters::ring_size.value();
    let verbose = crate::module_parameters::verbose.value() != 0;
    if !is_valid_ring_size(size) {
        pr_err!(
            "ring_size={} is invalid: it must be a power of two and at least {} bytes\n",
            size,
            2 * MAX_RECORD_LEN
        );
        return Err(EINVAL);
    }
    let ncpus = kernel::cpu::nr_cpu_ids() as usize;
    // Refuse rings that would take more than half the memory, before allocating anything: page
    // allocations that large would wake the OOM killer rather than fail.
    let want = (ncpus as u64).saturating_mul(size as u64);
    let ram = total_ram();
    if want > ram / 2 {
        pr_err!(
            "ring_size={} needs {} MiB for {} CPUs, more than half of the {} MiB of RAM\n",
            size,
            want >> 20,
            ncpus,
            ram >> 20
        );
        return Err(ENOMEM);
    }
    device::init_fops();
    let c = KBox::new(Capture::new(ncpus, size, verbose)?, GFP_KERNEL)?;
    pr_info!("loaded: {} rings of {} bytes\n", ncpus, size);
    Ok(c)
}

impl kernel::InPlaceModule for FalcoModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            capture: new_capture()?,
            published: {
                // SAFETY: `capture` is initialised (the line above) and lives in this pinned
                // module until `published` (declared, hence dropped, before it) withdraws it;
                // by then the devices and probes that could use it are gone.
                unsafe { Capture::publish(&(*this.as_ptr()).capture) };
                Published { _flush: FlushTimer::new(flush_rings) }
            },
            probes: Probes::attach()?,
            devices: Devices::register(Capture::with(|c| c.nr_rings()).unwrap_or(0))?,
        })
    }
}

#[pinned_drop]
impl PinnedDrop for FalcoModule {
    fn drop(self: Pin<&mut Self>) {
        if self.capture.verbose() {
            let (mut events, mut drops) = (0, 0);
            for r in self.capture.rings() {
                let (e, d) = r.counts();
                events += e;
                drops += d;
            }
            pr_info!("unloading: {} events, {} dropped\n", events, drops);
        }
    }
}
