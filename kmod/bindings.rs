// SPDX-License-Identifier: GPL-2.0
//! Raw bindings: the only file that declares C symbols, each wrapped in a safe function.
//!
//! Two kinds of symbol live here: exported kernel functions and data that `kernel::bindings`
//! of 7.3 does not declare (their headers are not in `bindings_helper.h`), and the functions of
//! our C shim (`kmod/shim.h`: thin wrappers in `shim.c`, task, file and socket reads in
//! `shim_task.c`, `shim_file.c`, `shim_net.c`), which reach static inlines and macros. Every
//! wrapper documents why calling it is sound; callers never write `unsafe` for these.

use core::ffi::{c_char, c_int, c_long, c_void};
use kernel::bindings;

/// Socket facts gathered by the shim (mirrors `struct falco_sock_info` in shim.h).
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct SockInfo {
    pub(crate) family: u16,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) pad: u16,
    pub(crate) saddr: [u8; 16],
    pub(crate) daddr: [u8; 16],
    pub(crate) sk: u64,
    pub(crate) peer: u64,
}

/// Task facts gathered by the shim (mirrors `struct falco_task_info` in shim.h).
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct TaskInfo {
    pub(crate) vtid: i64,
    pub(crate) vpid: i64,
    pub(crate) pgid: i64,
    pub(crate) vpgid: i64,
    pub(crate) ptid: i64,
    pub(crate) fdlimit: u64,
    pub(crate) total_vm_kb: u64,
    pub(crate) rss_kb: u64,
    pub(crate) swap_kb: u64,
    pub(crate) tty: u32,
    pub(crate) pad: u32,
    pub(crate) exe_ino: u64,
    pub(crate) exe_ctime_ns: u64,
    pub(crate) exe_mtime_ns: u64,
    pub(crate) euid: u32,
    pub(crate) egid: u32,
    pub(crate) loginuid: u32,
    pub(crate) pad2: u32,
    pub(crate) cap_inheritable: u64,
    pub(crate) cap_permitted: u64,
    pub(crate) cap_effective: u64,
    pub(crate) arg_start: u64,
    pub(crate) arg_end: u64,
    pub(crate) env_start: u64,
    pub(crate) env_end: u64,
    pub(crate) maj_flt: u64,
    pub(crate) min_flt: u64,
    /// `start_time` (monotonic ns) of the init task of the task's pid namespace.
    pub(crate) pidns_init_start: u64,
}

const _: () = assert!(core::mem::size_of::<SockInfo>() == 56);
const _: () = assert!(core::mem::size_of::<TaskInfo>() == 200);

extern "C" {
    // kernel/tracepoint.c and kernel/rcu: the two SRCU domains tracepoint probes run under.
    // `tracepoint_synchronize_unregister()` is a static inline over them.
    static mut tracepoint_srcu: u8;
    static mut rcu_tasks_trace_srcu_struct: u8;
    // mm/vmalloc.c (EXPORT_SYMBOL)
    fn vunmap(addr: *const c_void);
    // mm/maccess.c (EXPORT_SYMBOL_GPL): user copies that never fault pages in (never sleep).
    fn copy_from_user_nofault(dst: *mut c_void, src: *const c_void, size: usize) -> c_long;
    // kernel/time/timekeeping.c (EXPORT_SYMBOL_GPL): NMI-safe wall clock.
    fn ktime_get_real_fast_ns() -> u64;

    // kmod/shim.c: thin wrappers over macros and static inlines.
    fn falco_get_cpu() -> u32;
    fn falco_put_cpu();
    fn falco_vmap(pages: *mut *mut c_void, count: u32) -> *mut c_void;
    fn falco_totalram_bytes() -> u64;
    fn falco_in_compat_syscall() -> bool;
    fn falco_strncpy_user_nofault(dst: *mut c_char, src: *const c_void, count: c_long) -> c_long;
    fn falco_syscall_nr(arg0: *mut usize) -> c_long;
    fn falco_bprm_filename(bprm: *const c_void) -> *const c_char;
    fn falco_flush_init(f: unsafe extern "C" fn());
    fn falco_flush_arm(ms: u32);
    fn falco_flush_shutdown();
    // kmod/shim_task.c
    fn falco_task_cwd(t: *mut c_void, buf: *mut u8, len: c_int) -> c_int;
    fn falco_task_exe(t: *mut c_void, buf: *mut u8, len: c_int) -> c_int;
    fn falco_task_cgroup(t: *mut c_void, buf: *mut u8, len: c_int) -> c_int;
    fn falco_task_info(t: *mut c_void, out: *mut TaskInfo);
    fn falco_reaper_tid(t: *mut c_void) -> c_long;
    // kmod/shim_file.c
    fn falco_fd_dev_ino(fd: c_int, dev: *mut u32, ino: *mut u64) -> c_int;
    fn falco_fd_overlay(fd: c_int) -> c_int;
    fn falco_exe_flags() -> u32;
    // kmod/shim_net.c
    fn falco_fd_sock(fd: c_int, out: *mut SockInfo) -> c_int;
    fn falco_sock_backlog(fd: c_int, len: *mut u32, max: *mut u32) -> c_int;
}

/// A preemption-disabled section on one CPU. While it lives the task cannot migrate, so the
/// CPU's ring has exactly one producer.
pub(crate) struct CpuGuard {
    cpu: u32,
}

impl CpuGuard {
    /// Disables preemption and returns the current CPU.
    #[inline]
    pub(crate) fn new() -> CpuGuard {
        // SAFETY: get_cpu() only disables preemption; `Drop` re-enables it exactly once.
        CpuGuard { cpu: unsafe { falco_get_cpu() } }
    }
    /// The CPU we are pinned to.
    #[inline]
    pub(crate) fn cpu(&self) -> usize {
        self.cpu as usize
    }
}

impl Drop for CpuGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: pairs with the get_cpu() in `new`.
        unsafe { falco_put_cpu() }
    }
}

/// Wall-clock nanoseconds since the epoch, callable from any context.
#[inline]
pub(crate) fn now_ns() -> u64 {
    // SAFETY: no preconditions (lockless, NMI-safe accessor).
    unsafe { ktime_get_real_fast_ns() }
}

/// Copies `dst.len()` bytes from user address `src` without faulting; false when any byte is
/// not resident or the address is bad.
#[inline]
pub(crate) fn copy_user(dst: &mut [u8], src: usize) -> bool {
    // SAFETY: `dst` is a writable buffer of dst.len() bytes; the source is a user address that
    // copy_from_user_nofault validates (access_ok) and reads with page faults disabled.
    unsafe { copy_from_user_nofault(dst.as_mut_ptr().cast(), src as *const c_void, dst.len()) == 0 }
}

/// Copies a NUL-terminated user string into `dst` (truncated to fit, always NUL-terminated when
/// `dst` is not empty). Returns the bytes written including the NUL, or 0 on a fault.
#[inline]
pub(crate) fn copy_user_str(dst: &mut [u8], src: usize) -> usize {
    if dst.is_empty() || src == 0 {
        return 0;
    }
    let n = dst.len().min(c_long::MAX as usize) as c_long;
    // SAFETY: `dst` is writable for `n` bytes; the kernel function validates the user address
    // and never faults pages in.
    let r = unsafe { falco_strncpy_user_nofault(dst.as_mut_ptr().cast(), src as *const c_void, n) };
    if r <= 0 {
        return 0;
    }
    let r = r as usize;
    // PANIC: none: `dst` is not empty (checked above), so `last` is in bounds.
    if r >= dst.len() {
        // Truncated: strncpy_from_user_nofault wrote no NUL; replace the last byte by one.
        let last = dst.len() - 1;
        dst[last] = 0;
        dst.len()
    } else {
        r + 1
    }
}

/// The syscall current is executing (orig_ax) and its first argument, or -1 in a kernel thread.
#[inline]
pub(crate) fn current_syscall() -> (i64, usize) {
    let mut arg0 = 0usize;
    // SAFETY: reads current's own saved registers into a valid out pointer.
    let nr = unsafe { falco_syscall_nr(&mut arg0) } as i64;
    (nr, arg0)
}

/// True while current executes a 32-bit (ia32) syscall, or an x32 one (`nr` has the x32 bit).
#[inline]
pub(crate) fn foreign_syscall_abi(nr: i64) -> bool {
    const X32_SYSCALL_BIT: i64 = 0x4000_0000;
    // SAFETY: reads current's own thread flags.
    nr & X32_SYSCALL_BIT != 0 || unsafe { falco_in_compat_syscall() }
}

/// Current's thread id (the kernel's `pid`).
#[inline]
pub(crate) fn current_tid() -> u64 {
    // SAFETY: `get_current()` is always a valid task pointer in process context.
    unsafe { (*bindings::get_current()).pid as u64 }
}

/// Current's task pointer.
#[inline]
pub(crate) fn current_task() -> *mut bindings::task_struct {
    // SAFETY: no preconditions.
    unsafe { bindings::get_current() }
}

/// Writes task `t`'s working directory into `buf`; bytes written with the NUL, or 0.
///
/// # Safety
/// `t` must be a live task (current, or one the caller's tracepoint pins).
pub(crate) unsafe fn task_cwd(t: *mut bindings::task_struct, buf: &mut [u8]) -> usize {
    let len = buf.len().min(c_int::MAX as usize) as c_int;
    // SAFETY: caller guarantees `t`; `buf` is writable for `len` bytes; the shim reads the path
    // under RCU without references.
    let r = unsafe { falco_task_cwd(t.cast(), buf.as_mut_ptr(), len) };
    if r > 0 { r as usize } else { 0 }
}

/// Writes task `t`'s cgroup (v2 hierarchy) path into `buf`; bytes written with the NUL, or 0.
///
/// # Safety
/// `t` must be a live task.
pub(crate) unsafe fn task_cgroup(t: *mut bindings::task_struct, buf: &mut [u8]) -> usize {
    let len = buf.len().min(c_int::MAX as usize) as c_int;
    // SAFETY: caller guarantees `t`; `buf` is writable for `len` bytes; the shim reads the
    // css_set under RCU.
    let r = unsafe { falco_task_cgroup(t.cast(), buf.as_mut_ptr(), len) };
    if r > 0 { r as usize } else { 0 }
}

/// Writes the path of task `t`'s executable into `buf`; bytes written with the NUL, or 0.
///
/// # Safety
/// `t` must be a live task.
pub(crate) unsafe fn task_exe(t: *mut bindings::task_struct, buf: &mut [u8]) -> usize {
    let len = buf.len().min(c_int::MAX as usize) as c_int;
    // SAFETY: as in `task_cwd`.
    let r = unsafe { falco_task_exe(t.cast(), buf.as_mut_ptr(), len) };
    if r > 0 { r as usize } else { 0 }
}

/// Namespace pids, limits, memory and executable facts of task `t`.
///
/// # Safety
/// `t` must be a live task.
pub(crate) unsafe fn task_info(t: *mut bindings::task_struct) -> TaskInfo {
    let mut out = TaskInfo::default();
    // SAFETY: caller guarantees `t`; `out` is a valid TaskInfo the shim fills.
    unsafe { falco_task_info(t.cast(), &mut out) };
    out
}

/// The file name an exec was asked to run (`bprm->filename`), a kernel C string or null.
///
/// # Safety
/// `bprm` must be the `linux_binprm` passed to the sched_process_exec tracepoint.
pub(crate) unsafe fn bprm_filename(bprm: *const c_void) -> *const c_char {
    // SAFETY: caller guarantees `bprm`.
    unsafe { falco_bprm_filename(bprm) }
}

/// Device and inode of current's file descriptor `fd`.
#[inline]
pub(crate) fn fd_dev_ino(fd: i64) -> Option<(u32, u64)> {
    let fd = c_int::try_from(fd).ok()?;
    let (mut dev, mut ino) = (0u32, 0u64);
    // SAFETY: the shim looks the fd up in current's table under RCU; the out pointers are valid.
    (unsafe { falco_fd_dev_ino(fd, &mut dev, &mut ino) } == 0).then_some((dev, ino))
}

/// Addresses of the socket behind current's file descriptor `fd`.
#[inline]
pub(crate) fn fd_sock(fd: i64) -> Option<SockInfo> {
    let fd = c_int::try_from(fd).ok()?;
    let mut out = SockInfo::default();
    // SAFETY: as in `fd_dev_ino`.
    (unsafe { falco_fd_sock(fd, &mut out) } == 0).then_some(out)
}

/// `PPM_EXE_*` flags of current's executable (writable, overlay layer, memfd); see shim_file.c.
/// Meant for sched_process_exec, where current's mm holds the new image.
#[inline]
pub(crate) fn current_exe_flags() -> u32 {
    // SAFETY: reads current's own mm and credentials under RCU; never sleeps (the permission
    // check runs in RCU-walk mode).
    unsafe { falco_exe_flags() }
}

/// The overlayfs layer of current's file descriptor `fd`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Layer {
    /// Not on an overlay filesystem (or no such fd).
    None,
    /// The file has a copy in the upper (writable) layer.
    Upper,
    /// The file only exists in a lower layer.
    Lower,
}

/// The overlayfs layer of current's file descriptor `fd`.
#[inline]
pub(crate) fn fd_overlay(fd: i64) -> Layer {
    let Ok(fd) = c_int::try_from(fd) else { return Layer::None };
    // SAFETY: the shim looks the fd up in current's table under RCU.
    match unsafe { falco_fd_overlay(fd) } {
        1 => Layer::Upper,
        2 => Layer::Lower,
        _ => Layer::None,
    }
}

/// The thread that will adopt the children of the exiting task `t` (0: no children, -1: the
/// bounded search gave up).
///
/// # Safety
/// `t` must be the task the sched_process_exit tracepoint passes (current).
pub(crate) unsafe fn reaper_tid(t: *mut bindings::task_struct) -> i64 {
    // SAFETY: caller guarantees `t`; the shim walks threads and parents under RCU, bounded.
    unsafe { falco_reaper_tid(t.cast()) as i64 }
}

/// Accept queue of the listening socket behind current's `fd`: (pending, limit).
#[inline]
pub(crate) fn sock_backlog(fd: i64) -> Option<(u32, u32)> {
    let fd = c_int::try_from(fd).ok()?;
    let (mut len, mut max) = (0u32, 0u32);
    // SAFETY: as in `fd_dev_ino`; the out pointers are valid.
    (unsafe { falco_sock_backlog(fd, &mut len, &mut max) } == 0).then_some((len, max))
}

/// Maps `pages` contiguously in kernel virtual memory; null on failure.
///
/// # Safety
/// Every entry must be a page the caller keeps allocated until `unmap`.
pub(crate) unsafe fn vmap_pages(pages: &mut [*mut bindings::page]) -> *mut u8 {
    // SAFETY: caller guarantees the pages; the array is valid for pages.len() entries.
    unsafe { falco_vmap(pages.as_mut_ptr().cast(), pages.len() as u32).cast() }
}

/// Undoes `vmap_pages`.
///
/// # Safety
/// `addr` must come from `vmap_pages` and not be used afterwards.
pub(crate) unsafe fn unmap(addr: *mut u8) {
    // SAFETY: caller guarantees `addr`.
    unsafe { vunmap(addr.cast()) }
}

/// `tracepoint_synchronize_unregister()`: waits until no probe registered before the call can
/// still be running.
pub(crate) fn tracepoint_synchronize_unregister() {
    // SAFETY: both are the kernel's static srcu_struct objects; synchronize_srcu only needs a
    // valid, initialised srcu_struct and may sleep (we are in process context at unload).
    unsafe {
        bindings::synchronize_srcu((&raw mut rcu_tasks_trace_srcu_struct).cast());
        bindings::synchronize_srcu((&raw mut tracepoint_srcu).cast());
    }
}

/// Bytes of RAM the kernel manages.
pub(crate) fn total_ram() -> u64 {
    // SAFETY: reads a global counter.
    unsafe { falco_totalram_bytes() }
}

/// The module's one-shot flush timer (see shim.c). Calls `f` in softirq context when it fires.
pub(crate) struct FlushTimer;

impl FlushTimer {
    /// Sets the timer up; it is idle until [`FlushTimer::arm`].
    pub(crate) fn new(f: unsafe extern "C" fn()) -> FlushTimer {
        // SAFETY: initialises the shim's static timer once per load, before anything can arm it.
        unsafe { falco_flush_init(f) };
        FlushTimer
    }

    /// Makes the timer fire within `ms` milliseconds (earlier if already armed sooner).
    pub(crate) fn arm(ms: u32) {
        // SAFETY: the timer is initialised for as long as a `FlushTimer` exists, and arming
        // only happens from poll(), i.e. while the module (hence the FlushTimer) is loaded.
        unsafe { falco_flush_arm(ms) }
    }
}

impl Drop for FlushTimer {
    fn drop(&mut self) {
        // SAFETY: waits for a running callback and stops re-arming; process context (unload).
        unsafe { falco_flush_shutdown() }
    }
}
