// SPDX-License-Identifier: GPL-2.0
//! The tracepoint probes and their registration.
//!
//! `sys_enter`/`sys_exit` are not exported to modules, so they are found by name with
//! `for_each_kernel_tracepoint` and attached with `tracepoint_probe_register`. In 7.x the syscall
//! tracepoints are faultable and probes run with preemption enabled; each probe pins itself to a
//! CPU (see `CpuGuard`) only while it writes its record.

use core::ffi::{c_long, c_void, CStr};
use core::ptr;
use kernel::{bindings, prelude::*};

use crate::bindings::{foreign_syscall_abi, tracepoint_synchronize_unregister};
use crate::capture::Capture;
use crate::events;

/// The tracepoints we attach to, in registration order.
const NAMES: [&[u8]; 5] = [b"sys_enter", b"sys_exit", b"sched_process_exit", b"sched_process_fork", b"sched_process_exec"];

/// Attached probes; dropping detaches them and waits until none runs.
pub(crate) struct Probes {
    tps: [*mut bindings::tracepoint; 5],
    attached: [bool; 5],
}

// SAFETY: the tracepoint pointers are static kernel objects, usable from any thread.
unsafe impl Send for Probes {}
// SAFETY: as above.
unsafe impl Sync for Probes {}

/// `for_each_kernel_tracepoint` callback: records the tracepoints named in [`NAMES`].
///
/// # Safety
/// Called only by `for_each_kernel_tracepoint` from [`Probes::attach`], synchronously: `tp` is
/// a live kernel tracepoint with a NUL-terminated name and `data` is the `[*mut tracepoint; 5]`
/// that `attach` passed, exclusively borrowed for the walk.
unsafe extern "C" fn find(tp: *mut bindings::tracepoint, data: *mut c_void) {
    // SAFETY: `data` is the `[*mut tracepoint; 5]` passed by `Probes::attach`, and the kernel
    // passes valid tracepoints with NUL-terminated names.
    let (tps, name) = unsafe { (&mut *data.cast::<[*mut bindings::tracepoint; 5]>(), CStr::from_ptr((*tp).name.cast())) };
    if let Some(i) = NAMES.iter().position(|n| *n == name.to_bytes()) {
        tps[i] = tp;
    }
}

fn probe_fn(i: usize) -> *mut c_void {
    match i {
        0 => probe_sys_enter as *mut c_void,
        1 => probe_sys_exit as *mut c_void,
        2 => probe_sched_exit as *mut c_void,
        3 => probe_sched_fork as *mut c_void,
        _ => probe_sched_exec as *mut c_void,
    }
}

impl Probes {
    /// Finds and attaches every probe.
    ///
    /// # Errors
    /// ENOENT when a tracepoint does not exist, or the error of `tracepoint_probe_register`.
    pub(crate) fn attach() -> Result<Probes> {
        let mut p = Probes { tps: [ptr::null_mut(); 5], attached: [false; 5] };
        // SAFETY: `find` matches the callback type and only writes into `p.tps` during the call.
        unsafe { bindings::for_each_kernel_tracepoint(Some(find), (&raw mut p.tps).cast()) };
        if p.tps.iter().any(|t| t.is_null()) {
            pr_err!("tracepoints missing (sys_enter/sys_exit/sched_process_*)\n");
            return Err(ENOENT);
        }
        for i in 0..NAMES.len() {
            // SAFETY: each probe's signature matches its tracepoint's TP_PROTO (see the probes),
            // and `p.tps[i]` is a live tracepoint.
            let rc = unsafe { bindings::tracepoint_probe_register(p.tps[i], probe_fn(i), ptr::null_mut()) };
            if rc != 0 {
                pr_err!("tracepoint_probe_register #{} failed: {}\n", i, rc);
                return Err(Error::from_errno(rc));
            }
            p.attached[i] = true;
        }
        Ok(p)
    }
}

impl Drop for Probes {
    fn drop(&mut self) {
        for i in 0..NAMES.len() {
            if self.attached[i] {
                // SAFETY: unregisters exactly the (probe, data) pair registered in `attach`.
                unsafe { bindings::tracepoint_probe_unregister(self.tps[i], probe_fn(i), ptr::null_mut()) };
            }
        }
        tracepoint_synchronize_unregister();
    }
}

/// `sys_enter`: `TP_PROTO(struct pt_regs *regs, long id)`.
///
/// # Safety
/// Called only by the tracepoint, registered in [`Probes::attach`] with a null `data`: `regs`
/// points to the calling task's (current's) saved user registers, valid for the call, and `id`
/// is the syscall number it entered with. Runs in process context with preemption enabled
/// (faultable syscall tracepoint) and may migrate until it pins itself in `events::emit`.
unsafe extern "C" fn probe_sys_enter(_data: *mut c_void, regs: *mut bindings::pt_regs, id: c_long) {
    use crate::flags::nr;
    // Most syscalls have no enter event: leave before anything else.
    if !matches!(id as i64, nr::OPEN | nr::OPENAT | nr::OPENAT2 | nr::CREAT | nr::CONNECT) {
        return;
    }
    Capture::with(|cap| {
        // 32-bit and x32 syscalls use other numbers and layouts: not decoded (yet).
        if cap.enabled() && cap.wants_syscall(id as i64) && !foreign_syscall_abi(id as i64) {
            // SAFETY: the tracepoint passes current's valid saved registers.
            unsafe { events::sys_enter(cap, regs, id as i64) };
        }
    });
}

/// `sys_exit`: `TP_PROTO(struct pt_regs *regs, long ret)`.
///
/// # Safety
/// Called only by the tracepoint: `regs` points to current's saved user registers (`orig_ax`
/// holds the syscall number), valid for the call, and `ret` is the syscall's return value.
/// Same context as [`probe_sys_enter`].
unsafe extern "C" fn probe_sys_exit(_data: *mut c_void, regs: *mut bindings::pt_regs, ret: c_long) {
    Capture::with(|cap| {
        if !cap.enabled() {
            return;
        }
        // SAFETY: the tracepoint passes current's valid saved registers; orig_ax is the syscall nr.
        let id = unsafe { (*regs).orig_ax } as i64;
        if cap.wants_syscall(id) && !foreign_syscall_abi(id) {
            // SAFETY: as above.
            unsafe { events::sys_exit(cap, regs, id, ret as i64) };
        }
    });
}

/// `sched_process_exit`: `TP_PROTO(struct task_struct *p, bool group_dead)`.
///
/// # Safety
/// Called only by the tracepoint, from `do_exit` of the exiting task: `p` is that task
/// (current), alive for the call.
unsafe extern "C" fn probe_sched_exit(_data: *mut c_void, p: *mut bindings::task_struct, _group_dead: bool) {
    Capture::with(|cap| {
        if cap.enabled() {
            // SAFETY: the tracepoint passes the exiting (current) task.
            unsafe { events::process_exit(cap, p) };
        }
    });
}

/// `sched_process_fork`: `TP_PROTO(struct task_struct *parent, struct task_struct *child)`.
///
/// # Safety
/// Called only by the tracepoint, in the parent's context at the end of `copy_process`: `child`
/// is the new task, fully set up and alive for the call.
unsafe extern "C" fn probe_sched_fork(_data: *mut c_void, _parent: *mut bindings::task_struct, child: *mut bindings::task_struct) {
    Capture::with(|cap| {
        if cap.enabled() {
            // SAFETY: the tracepoint passes the new child, alive for the call.
            unsafe { events::process_fork(cap, child) };
        }
    });
}

/// `sched_process_exec`: `TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)`.
///
/// # Safety
/// Called only by the tracepoint, in current's context after a successful exec has installed
/// the new image: `bprm` is that exec's `linux_binprm`, valid for the call.
unsafe extern "C" fn probe_sched_exec(_data: *mut c_void, _p: *mut bindings::task_struct, _old_pid: i32, bprm: *mut c_void) {
    Capture::with(|cap| {
        if cap.enabled() {
            // SAFETY: the tracepoint passes the exec's binprm.
            unsafe { events::process_exec(cap, bprm) };
        }
    });
}
