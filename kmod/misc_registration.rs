// SPDX-License-Identifier: GPL-2.0
//! A misc device registration that sets the device node's mode.
//!
//! 7.3's `MiscDeviceRegistration` builds its `struct miscdevice` from `MiscDeviceOptions`, which has
//! no mode, so devtmpfs creates the node 0600. The issue asks for 0400 (the rings are read-only to
//! userspace and every ioctl is allowed on a read-only open), and the mode is read once, inside
//! `misc_register`. [`ModeRegistration`] is the same registration with `mode` filled in first. Its
//! `struct miscdevice` is what `misc_open` stores in `file->private_data`, which the kernel crate's
//! open callback reads as a `MiscDeviceRegistration<T>`: that type is `#[repr(transparent)]` over
//! `Opaque<miscdevice>`, so the cast stays valid for a miscdevice registered here.

use core::marker::PhantomData;
use kernel::{
    bindings,
    error::to_result,
    miscdevice::{MiscDevice, MiscDeviceOptions},
    prelude::*,
    types::Opaque,
};

/// A registered misc device whose node has a chosen mode; deregistered on drop.
///
/// # Invariants
/// `inner` holds a `struct miscdevice` built by [`MiscDeviceOptions::into_raw`] for `T` and
/// registered with `misc_register`; it is deregistered exactly once, in drop.
#[pin_data(PinnedDrop)]
pub(crate) struct ModeRegistration<T> {
    #[pin]
    inner: Opaque<bindings::miscdevice>,
    _t: PhantomData<T>,
}

// SAFETY: `misc_deregister` may run on any thread; the type has no `&self` methods that mutate.
unsafe impl<T> Send for ModeRegistration<T> {}
// SAFETY: no method touches the miscdevice through `&self`.
unsafe impl<T> Sync for ModeRegistration<T> {}

impl<T: MiscDevice> ModeRegistration<T> {
    /// Registers a misc device whose node gets `mode` (e.g. `0o400`).
    pub(crate) fn register(opts: MiscDeviceOptions, mode: u16) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut raw = opts.into_raw::<T>();
                raw.mode = mode;
                // SAFETY: the initializer may write the provided `slot`.
                unsafe { slot.write(raw) };
                // SAFETY: `slot` holds the miscdevice just written; it is pinned and unregistered in
                // drop before its memory goes (INVARIANT).
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T> PinnedDrop for ModeRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by the type invariant, and this is the only deregistration.
        unsafe { bindings::misc_deregister(self.inner.get()) };
    }
}
