// SPDX-License-Identifier: GPL-2.0
//! Module load and unload: the order in which rings, probes and devices come and go.
//!
//! Load: rings → publish → probes → devices. Unload is the reverse: devices (no new opens; open
//! files pin the module, so none remain), probes (detached and synchronised: no probe still
//! runs), withdraw, rings.

use kernel::prelude::*;

use crate::capture::Capture;
use crate::device::{self, Devices};
use crate::probe::Probes;
use crate::ring_abi::{is_valid_ring_size, MAX_RECORD_LEN};

/// The loaded module.
pub(crate) struct FalcoModule {
    devices: Option<Devices>,
    probes: Option<Probes>,
    capture: Option<KBox<Capture>>,
}

impl kernel::Module for FalcoModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
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
        device::init_fops();
        let capture = KBox::new(Capture::new(ncpus, size, verbose)?, GFP_KERNEL)?;
        // SAFETY: `capture` lives in this struct until `drop`, which withdraws it only after the
        // devices are deregistered and the probes detached and synchronised.
        unsafe { Capture::publish(&capture) };
        let mut m = FalcoModule { devices: None, probes: None, capture: Some(capture) };
        m.probes = Some(Probes::attach()?);
        m.devices = Some(Devices::register(ncpus)?);
        pr_info!("loaded: {} rings of {} bytes\n", ncpus, size);
        Ok(m)
    }
}

impl Drop for FalcoModule {
    fn drop(&mut self) {
        drop(self.devices.take());
        drop(self.probes.take());
        Capture::withdraw();
        if let Some(c) = self.capture.take() {
            let (mut events, mut drops) = (0, 0);
            for r in c.rings() {
                let (e, d) = r.counts();
                events += e;
                drops += d;
            }
            if c.verbose() {
                pr_info!("unloaded: {} events, {} dropped\n", events, drops);
            }
        }
    }
}
