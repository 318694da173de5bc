// SPDX-License-Identifier: GPL-2.0
//! falco: syscall and process events from tracepoints into per-CPU mmap rings (`/dev/falcoN`),
//! in the scap event format shared with the engine through the `ringbuf-abi` crate.

// The ABI crate's files, included as they are (not copied): the engine compiles the same text.
// They are GPL-2.0-only OR MIT (their SPDX lines; ringbuf-abi/tests/module_licences.rs checks
// every file of the module).
#[path = "../ringbuf-abi/src/event_table.rs"]
#[allow(dead_code, missing_docs, unreachable_pub)]
#[rustfmt::skip]
mod event_table;
#[path = "../ringbuf-abi/src/ioctl.rs"]
#[allow(dead_code, unreachable_pub)]
mod ioctl;
#[path = "../ringbuf-abi/src/ppm.rs"]
#[allow(dead_code, unreachable_pub)]
mod ppm;
#[path = "../ringbuf-abi/src/record.rs"]
#[allow(dead_code, unreachable_pub)]
mod record;
#[path = "../ringbuf-abi/src/ring.rs"]
#[allow(dead_code, unreachable_pub)]
mod ring;
#[path = "../ringbuf-abi/src/schema.rs"]
#[allow(dead_code, unreachable_pub)]
mod schema;
#[path = "../ringbuf-abi/src/syscall_codes.rs"]
#[allow(dead_code, unreachable_pub)]
#[rustfmt::skip]
mod syscall_codes;

mod bindings;
mod capture;
mod cpu_ring;
mod device;
mod events;
mod flags;
mod misc_registration;
mod module;
mod probe;

use kernel::prelude::*;

module! {
    type: module::FalcoModule,
    name: "falco",
    authors: ["The falco-rs authors"],
    description: "Falco-compatible syscall capture into per-CPU mmap rings",
    license: "GPL",
    params: {
        ring_size: usize {
            default: 8388608,
            description: "Data bytes per CPU ring: a power of two, at least 64 KiB (default 8 MiB)",
        },
        verbose: u32 {
            default: 0,
            description: "Log capture state changes and unload statistics when non-zero",
        },
    },
}
