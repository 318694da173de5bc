// SPDX-License-Identifier: GPL-2.0
//! Encoding of syscall and process events in libs' current (non-`EF_OLD_VERSION`) layouts.
//!
//! Runs inside tracepoint probes: nothing here allocates, sleeps or panics on a reachable
//! path. User memory is read with the `*_nofault` copies (faultable syscall tracepoints would
//! allow sleeping copies, but the producer holds preemption off, see `cpu_ring.rs`): a page that
//! is not resident yields an empty or truncated parameter, never a sleep. Variable-length
//! parameters are bounded by the limits below so every record fits `MAX_RECORD_LEN`.

use core::ffi::c_void;
use kernel::bindings;

use crate::bindings::{
    bprm_filename, copy_user, copy_user_str, current_exe_flags, current_syscall, current_task, current_tid,
    fd_dev_ino, fd_overlay, fd_sock, now_ns, reaper_tid, sock_backlog, task_cgroup, task_cwd, task_exe, task_info,
    CpuGuard, Layer, SockInfo, TaskInfo,
};
use crate::capture::Capture;
use crate::event_table::EVENT_TABLE;
use crate::event_table::ids::*;
use crate::flags::{self, nr, PtraceDyn};
use crate::record::{NoRoom, RecordBuilder};
use crate::cpu_ring::DropCategory;
use crate::syscall_codes::PPM_SC;

/// Longest path copied (the kernel's PATH_MAX); longer ones are truncated.
const PATH_LIMIT: usize = 4096;
/// Bytes of argv and of the environment copied for exec/clone events.
const ARGS_LIMIT: usize = 4096;
const ENV_LIMIT: usize = 4096;
/// Most argv/envp pointers walked for a failed execve.
const MAX_ARGV: usize = 128;

type R = Result<(), NoRoom>;

/// Fixed-width and string parameter helpers over [`RecordBuilder`].
trait Params {
    fn u64(&mut self, v: u64) -> R;
    fn u32(&mut self, v: u32) -> R;
    fn u16(&mut self, v: u16) -> R;
    fn u8(&mut self, v: u8) -> R;
    /// A NUL-terminated user string, truncated to `max` bytes; empty when unreadable.
    fn ustr(&mut self, addr: usize, max: usize) -> R;
    /// A kernel byte string, NUL added.
    fn kstr(&mut self, s: &[u8]) -> R;
    /// Bytes written by `f` (returns how many) into at most `max` bytes.
    fn with(&mut self, max: usize, f: impl FnOnce(&mut [u8]) -> usize) -> R;
}

impl Params for RecordBuilder<'_> {
    fn u64(&mut self, v: u64) -> R {
        self.push(&v.to_le_bytes())
    }
    fn u32(&mut self, v: u32) -> R {
        self.push(&v.to_le_bytes())
    }
    fn u16(&mut self, v: u16) -> R {
        self.push(&v.to_le_bytes())
    }
    fn u8(&mut self, v: u8) -> R {
        self.push(&[v])
    }
    fn ustr(&mut self, addr: usize, max: usize) -> R {
        self.push_with(max, |dst| copy_user_str(dst, addr))
    }
    fn kstr(&mut self, s: &[u8]) -> R {
        // PANIC: none: `n < dst.len()` when dst is not empty, so both indexings are in bounds.
        self.push_with(s.len() + 1, |dst| {
            let n = s.len().min(dst.len().saturating_sub(1));
            if dst.is_empty() {
                return 0;
            }
            dst[..n].copy_from_slice(&s[..n]);
            dst[n] = 0;
            n + 1
        })
    }
    fn with(&mut self, max: usize, f: impl FnOnce(&mut [u8]) -> usize) -> R {
        self.push_with(max, f)
    }
}

/// Writes one event of type `evtype` for thread `tid` to the current CPU's ring.
#[inline]
fn emit(
    cap: &Capture,
    evtype: u16,
    cat: DropCategory,
    may_wake: bool,
    tid: u64,
    f: impl FnOnce(&mut RecordBuilder<'_>) -> R,
) {
    if !cap.wants(evtype) {
        return;
    }
    let Some(info) = EVENT_TABLE.get(evtype as usize) else { return };
    let nparams = info.params.len() as u32;
    let pinned = CpuGuard::new();
    let Some(ring) = cap.ring(pinned.cpu()) else { return };
    ring.write(&pinned, cat, may_wake, |buf| {
        let mut b = RecordBuilder::new(buf, now_ns(), tid, evtype, nparams)?;
        f(&mut b)?;
        b.finish()
    });
}

/// The six syscall arguments (x86_64 calling convention).
struct Args([u64; 6]);

impl Args {
    /// # Safety
    /// `regs` must be the tracepoint's valid `pt_regs`.
    unsafe fn from(regs: *const bindings::pt_regs) -> Args {
        // SAFETY: caller guarantees `regs`.
        let r = unsafe { &*regs };
        Args([r.di as u64, r.si as u64, r.dx as u64, r.r10 as u64, r.r8 as u64, r.r9 as u64])
    }
    #[inline]
    fn u(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }
    #[inline]
    fn ptr(&self, i: usize) -> usize {
        self.u(i) as usize
    }
    /// A file descriptor argument (C `int`), sign-extended.
    #[inline]
    fn fd(&self, i: usize) -> u64 {
        self.u(i) as i32 as i64 as u64
    }
}

/// `sys_enter` for the syscalls whose enter events the engine needs.
///
/// # Safety
/// `regs` must be the tracepoint's valid `pt_regs`.
pub(crate) unsafe fn sys_enter(cap: &Capture, regs: *const bindings::pt_regs, id: i64) {
    // SAFETY: forwarded from the caller.
    let a = unsafe { Args::from(regs) };
    let tid = current_tid();
    let cat = DropCategory::SyscallEnter;
    match id {
        nr::OPEN => emit(cap, PPME_SYSCALL_OPEN_E, cat, true, tid, |b| {
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.u32(flags::open_flags(a.u(1)))?;
            b.u32(flags::open_mode(a.u(1), a.u(2)))
        }),
        nr::OPENAT => emit(cap, PPME_SYSCALL_OPENAT_2_E, cat, true, tid, |b| {
            b.u64(a.fd(0))?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.u32(flags::open_flags(a.u(2)))?;
            b.u32(flags::open_mode(a.u(2), a.u(3)))
        }),
        nr::OPENAT2 => {
            let how = OpenHow::read(a.ptr(2));
            emit(cap, PPME_SYSCALL_OPENAT2_E, cat, true, tid, |b| {
                b.u64(a.fd(0))?;
                b.ustr(a.ptr(1), PATH_LIMIT)?;
                b.u32(flags::open_flags(how.flags))?;
                b.u32(flags::open_mode(how.flags, how.mode))?;
                b.u32(flags::resolve_flags(how.resolve))
            })
        }
        nr::CREAT => emit(cap, PPME_SYSCALL_CREAT_E, cat, true, tid, |b| {
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.u32((a.u(1) & 0o7777) as u32)
        }),
        nr::CONNECT => emit(cap, PPME_SOCKET_CONNECT_E, cat, true, tid, |b| {
            b.u64(a.fd(0))?;
            b.with(SOCKADDR_MAX, |d| user_sockaddr(d, a.ptr(1), a.u(2)))
        }),
        _ => {}
    }
}

/// `struct open_how` of openat2.
#[derive(Default)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

impl OpenHow {
    fn read(addr: usize) -> OpenHow {
        let mut raw = [0u8; 24];
        if addr == 0 || !copy_user(&mut raw, addr) {
            return OpenHow::default();
        }
        // PANIC: none: i is 0..=2, so i*8+8 <= 24 = raw.len().
        let w = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        OpenHow { flags: w(0), mode: w(1), resolve: w(2) }
    }
}

/// `sys_exit`: the exit event of syscall `id` with every parameter of its current layout.
///
/// # Safety
/// `regs` must be the tracepoint's valid `pt_regs`.
pub(crate) unsafe fn sys_exit(cap: &Capture, regs: *const bindings::pt_regs, id: i64, ret: i64) {
    if ret < 0 && cap.drop_failed() {
        return;
    }
    // SAFETY: forwarded from the caller.
    let a = unsafe { Args::from(regs) };
    let tid = current_tid();
    let cat = DropCategory::SyscallExit;
    let r = ret as u64;
    let dev_ino = || if ret >= 0 { fd_dev_ino(ret).unwrap_or((0, 0)) } else { (0, 0) };
    match id {
        nr::OPEN => {
            let (dev, ino) = dev_ino();
            emit(cap, PPME_SYSCALL_OPEN_X, cat, true, tid, |b| {
                b.u64(r)?;
                b.ustr(a.ptr(0), PATH_LIMIT)?;
                b.u32(flags::open_flags(a.u(1)))?;
                b.u32(flags::open_mode(a.u(1), a.u(2)))?;
                b.u32(dev)?;
                b.u64(ino)
            })
        }
        nr::OPENAT => {
            let (dev, ino) = dev_ino();
            emit(cap, PPME_SYSCALL_OPENAT_2_X, cat, true, tid, |b| {
                b.u64(r)?;
                b.u64(a.fd(0))?;
                b.ustr(a.ptr(1), PATH_LIMIT)?;
                b.u32(flags::open_flags(a.u(2)))?;
                b.u32(flags::open_mode(a.u(2), a.u(3)))?;
                b.u32(dev)?;
                b.u64(ino)
            })
        }
        nr::OPENAT2 => {
            let (dev, ino) = dev_ino();
            let how = OpenHow::read(a.ptr(2));
            emit(cap, PPME_SYSCALL_OPENAT2_X, cat, true, tid, |b| {
                b.u64(r)?;
                b.u64(a.fd(0))?;
                b.ustr(a.ptr(1), PATH_LIMIT)?;
                b.u32(flags::open_flags(how.flags))?;
                b.u32(flags::open_mode(how.flags, how.mode))?;
                b.u32(flags::resolve_flags(how.resolve))?;
                b.u32(dev)?;
                b.u64(ino)
            })
        }
        nr::CREAT => {
            let (dev, ino) = dev_ino();
            let layer = if ret >= 0 { fd_overlay(ret) } else { Layer::None };
            let creat_flags = match layer {
                Layer::Upper => flags::FD_UPPER_LAYER_CREAT,
                Layer::Lower => flags::FD_LOWER_LAYER_CREAT,
                Layer::None => 0,
            };
            emit(cap, PPME_SYSCALL_CREAT_X, cat, true, tid, |b| {
                b.u64(r)?;
                b.ustr(a.ptr(0), PATH_LIMIT)?;
                b.u32((a.u(1) & 0o7777) as u32)?;
                b.u32(dev)?;
                b.u64(ino)?;
                b.u16(creat_flags)
            })
        }
        nr::CLOSE => emit(cap, PPME_SYSCALL_CLOSE_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))
        }),
        nr::SOCKET => emit(cap, PPME_SOCKET_SOCKET_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u32(a.u(0) as u32)?;
            b.u32(a.u(1) as u32)?;
            b.u32(a.u(2) as u32)?;
            b.u32(flags::socket_flags(a.u(1)))
        }),
        nr::BIND => emit(cap, PPME_SOCKET_BIND_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.with(SOCKADDR_MAX, |d| user_sockaddr(d, a.ptr(1), a.u(2)))?;
            b.u64(a.fd(0))
        }),
        nr::CONNECT => {
            let sock = fd_sock(a.fd(0) as i64);
            emit(cap, PPME_SOCKET_CONNECT_X, cat, true, tid, |b| {
                b.u64(r)?;
                b.with(TUPLE_MAX, |d| sock.map_or(0, |s| socktuple(d, &s, false)))?;
                b.u64(a.fd(0))?;
                b.with(SOCKADDR_MAX, |d| user_sockaddr(d, a.ptr(1), a.u(2)))
            })
        }
        nr::LISTEN => emit(cap, PPME_SOCKET_LISTEN_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.u32(a.u(1) as u32)
        }),
        nr::ACCEPT | nr::ACCEPT4 => {
            let sock = if ret >= 0 { fd_sock(ret) } else { None };
            // The listening socket's queue once this connection left it (libs reads it at exit).
            let (qlen, qmax) = sock_backlog(a.fd(0) as i64).unwrap_or((0, 0));
            let qpct = if qmax > 0 { (u64::from(qlen) * 100 / u64::from(qmax)).min(255) as u8 } else { 0 };
            let ev = if id == nr::ACCEPT { PPME_SOCKET_ACCEPT_5_X } else { PPME_SOCKET_ACCEPT4_6_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.with(TUPLE_MAX, |d| sock.map_or(0, |s| socktuple(d, &s, true)))?;
                b.u8(qpct)?;
                b.u32(qlen)?;
                b.u32(qmax)?;
                if id == nr::ACCEPT4 {
                    b.u32(a.u(3) as u32)?;
                }
                Ok(())
            })
        }
        nr::DUP => emit(cap, PPME_SYSCALL_DUP_1_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))
        }),
        nr::DUP2 => emit(cap, PPME_SYSCALL_DUP2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.u64(a.fd(1))
        }),
        nr::DUP3 => emit(cap, PPME_SYSCALL_DUP3_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.u64(a.fd(1))?;
            // libs' dup3_flags_to_scap: PPM_O_CLOEXEC.
            b.u32(if a.u(2) & 0o2000000 != 0 { 1 << 12 } else { 0 })
        }),
        nr::UNLINK => emit(cap, PPME_SYSCALL_UNLINK_2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)
        }),
        nr::UNLINKAT => emit(cap, PPME_SYSCALL_UNLINKAT_2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.u32(flags::unlinkat_flags(a.u(2)))
        }),
        nr::MKDIR => emit(cap, PPME_SYSCALL_MKDIR_2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.u32((a.u(1) & 0o7777) as u32)
        }),
        nr::MKDIRAT => emit(cap, PPME_SYSCALL_MKDIRAT_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.u32((a.u(2) & 0o7777) as u32)
        }),
        nr::RMDIR => emit(cap, PPME_SYSCALL_RMDIR_2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)
        }),
        nr::CHMOD => emit(cap, PPME_SYSCALL_CHMOD_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.u32((a.u(1) & 0o7777) as u32)
        }),
        nr::FCHMOD => emit(cap, PPME_SYSCALL_FCHMOD_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.u32((a.u(1) & 0o7777) as u32)
        }),
        nr::FCHMODAT => emit(cap, PPME_SYSCALL_FCHMODAT_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.u32((a.u(2) & 0o7777) as u32)
        }),
        nr::RENAME => emit(cap, PPME_SYSCALL_RENAME_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.ustr(a.ptr(1), PATH_LIMIT)
        }),
        nr::RENAMEAT | nr::RENAMEAT2 => {
            let ev = if id == nr::RENAMEAT { PPME_SYSCALL_RENAMEAT_X } else { PPME_SYSCALL_RENAMEAT2_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.u64(a.fd(0))?;
                b.ustr(a.ptr(1), PATH_LIMIT)?;
                b.u64(a.fd(2))?;
                b.ustr(a.ptr(3), PATH_LIMIT)?;
                if id == nr::RENAMEAT2 {
                    b.u32(a.u(4) as u32)?;
                }
                Ok(())
            })
        }
        nr::SETUID | nr::SETGID => {
            let ev = if id == nr::SETUID { PPME_SYSCALL_SETUID_X } else { PPME_SYSCALL_SETGID_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.u32(a.u(0) as u32)
            })
        }
        nr::SETREUID | nr::SETREGID => {
            let ev = if id == nr::SETREUID { PPME_SYSCALL_SETREUID_X } else { PPME_SYSCALL_SETREGID_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.u32(a.u(0) as u32)?;
                b.u32(a.u(1) as u32)
            })
        }
        nr::SETRESUID | nr::SETRESGID => {
            let ev = if id == nr::SETRESUID { PPME_SYSCALL_SETRESUID_X } else { PPME_SYSCALL_SETRESGID_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.u32(a.u(0) as u32)?;
                b.u32(a.u(1) as u32)?;
                b.u32(a.u(2) as u32)
            })
        }
        nr::UNSHARE => emit(cap, PPME_SYSCALL_UNSHARE_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u32(flags::clone_flags(a.u(0)))
        }),
        nr::SETNS => emit(cap, PPME_SYSCALL_SETNS_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.u32(flags::clone_flags(a.u(1)))
        }),
        nr::READ | nr::WRITE => {
            let ev = if id == nr::READ { PPME_SYSCALL_READ_X } else { PPME_SYSCALL_WRITE_X };
            let n = if ret > 0 { (ret as usize).min(cap.snaplen()) } else { 0 };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.with(n, |d| user_range(d, a.u(1), a.u(1) + n as u64))?;
                b.u64(a.fd(0))?;
                b.u32(a.u(2) as u32)
            })
        }
        nr::SENDTO | nr::RECVFROM => {
            let n = if ret > 0 { (ret as usize).min(cap.snaplen()) } else { 0 };
            let sock = fd_sock(a.fd(0) as i64);
            let data = |d: &mut [u8]| user_range(d, a.u(1), a.u(1) + n as u64);
            if id == nr::SENDTO {
                emit(cap, PPME_SOCKET_SENDTO_X, cat, true, tid, |b| {
                    b.u64(r)?;
                    b.with(n, data)?;
                    b.u64(a.fd(0))?;
                    b.u32(a.u(2) as u32)?;
                    b.with(TUPLE_MAX, |d| sock.map_or(0, |s| socktuple(d, &s, false)))
                })
            } else {
                emit(cap, PPME_SOCKET_RECVFROM_X, cat, true, tid, |b| {
                    b.u64(r)?;
                    b.with(n, data)?;
                    b.with(TUPLE_MAX, |d| sock.map_or(0, |s| socktuple(d, &s, true)))?;
                    b.u64(a.fd(0))?;
                    b.u32(a.u(2) as u32)
                })
            }
        }
        nr::PIPE | nr::PIPE2 => {
            let mut fds = [0u8; 8];
            let ok = ret == 0 && copy_user(&mut fds, a.ptr(0));
            let fd1 = i32::from_le_bytes([fds[0], fds[1], fds[2], fds[3]]) as i64;
            let fd2 = i32::from_le_bytes([fds[4], fds[5], fds[6], fds[7]]) as i64;
            let ino = if ok { fd_dev_ino(fd1).map_or(0, |(_, i)| i) } else { 0 };
            let ev = if id == nr::PIPE { PPME_SYSCALL_PIPE_X } else { PPME_SYSCALL_PIPE2_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.u64(if ok { fd1 as u64 } else { u64::MAX })?;
                b.u64(if ok { fd2 as u64 } else { u64::MAX })?;
                b.u64(ino)?;
                if id == nr::PIPE2 {
                    b.u32(flags::open_flags(a.u(1)) & !3)?;
                }
                Ok(())
            })
        }
        nr::FCNTL => emit(cap, PPME_SYSCALL_FCNTL_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.u8(flags::fcntl_cmd(a.u(1)))?;
            b.u64(a.u(2))
        }),
        nr::KILL | nr::TKILL => {
            let ev = if id == nr::KILL { PPME_SYSCALL_KILL_X } else { PPME_SYSCALL_TKILL_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.u64(a.u(0) as i32 as i64 as u64)?;
                b.u8(a.u(1) as u8)
            })
        }
        nr::TGKILL => emit(cap, PPME_SYSCALL_TGKILL_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.u(0) as i32 as i64 as u64)?;
            b.u64(a.u(1) as i32 as i64 as u64)?;
            b.u8(a.u(2) as u8)
        }),
        nr::CHDIR => emit(cap, PPME_SYSCALL_CHDIR_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)
        }),
        nr::FCHDIR => emit(cap, PPME_SYSCALL_FCHDIR_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))
        }),
        nr::SYMLINK => emit(cap, PPME_SYSCALL_SYMLINK_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.ustr(a.ptr(1), PATH_LIMIT)
        }),
        nr::SYMLINKAT => emit(cap, PPME_SYSCALL_SYMLINKAT_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.u64(a.fd(1))?;
            b.ustr(a.ptr(2), PATH_LIMIT)
        }),
        nr::LINK => emit(cap, PPME_SYSCALL_LINK_2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.ustr(a.ptr(1), PATH_LIMIT)
        }),
        nr::LINKAT => emit(cap, PPME_SYSCALL_LINKAT_2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.u64(a.fd(2))?;
            b.ustr(a.ptr(3), PATH_LIMIT)?;
            b.u32((a.u(4) & (0x400 | 0x1000)) as u32)
        }),
        nr::CHOWN | nr::LCHOWN => {
            let ev = if id == nr::CHOWN { PPME_SYSCALL_CHOWN_X } else { PPME_SYSCALL_LCHOWN_X };
            emit(cap, ev, cat, true, tid, |b| {
                b.u64(r)?;
                b.ustr(a.ptr(0), PATH_LIMIT)?;
                b.u32(a.u(1) as u32)?;
                b.u32(a.u(2) as u32)
            })
        }
        nr::FCHOWN => emit(cap, PPME_SYSCALL_FCHOWN_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.u32(a.u(1) as u32)?;
            b.u32(a.u(2) as u32)
        }),
        nr::FCHOWNAT => emit(cap, PPME_SYSCALL_FCHOWNAT_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.u32(a.u(2) as u32)?;
            b.u32(a.u(3) as u32)?;
            b.u32((a.u(4) & (0x100 | 0x1000)) as u32)
        }),
        nr::MOUNT => emit(cap, PPME_SYSCALL_MOUNT_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.ustr(a.ptr(2), 256)?;
            b.u32(flags::mount_flags(a.u(3)))
        }),
        nr::UMOUNT2 => emit(cap, PPME_SYSCALL_UMOUNT2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), PATH_LIMIT)?;
            b.u32((a.u(1) & 0xf) as u32)
        }),
        nr::MEMFD_CREATE => emit(cap, PPME_SYSCALL_MEMFD_CREATE_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.ustr(a.ptr(0), 256)?;
            b.u32((a.u(1) & 0x7) as u32)
        }),
        nr::INIT_MODULE => {
            let n = (a.u(1) as usize).min(cap.snaplen());
            emit(cap, PPME_SYSCALL_INIT_MODULE_X, cat, true, tid, |b| {
                b.u64(r)?;
                b.with(n, |d| user_range(d, a.u(0), a.u(0) + n as u64))?;
                b.u64(a.u(1))?;
                b.ustr(a.ptr(2), PATH_LIMIT)
            })
        }
        nr::FINIT_MODULE => emit(cap, PPME_SYSCALL_FINIT_MODULE_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u64(a.fd(0))?;
            b.ustr(a.ptr(1), PATH_LIMIT)?;
            b.u32(a.u(2) as u32)
        }),
        nr::BPF => emit(cap, PPME_SYSCALL_BPF_2_X, cat, true, tid, |b| {
            b.u64(r)?;
            b.u32(a.u(0) as u32)
        }),
        nr::PRCTL => emit(cap, PPME_SYSCALL_PRCTL_X, cat, true, tid, |b| {
            use crate::ppm::prctl::PR_SET_NAME;
            b.u64(r)?;
            b.u32(a.u(0) as u32)?;
            if a.u(0) == PR_SET_NAME { b.ustr(a.ptr(1), 16)? } else { b.with(0, |_| 0)? }
            b.u64(a.u(1))
        }),
        nr::PTRACE => {
            let req = flags::ptrace_request(a.u(0));
            let (addr, data) = if ret < 0 {
                (PtraceDyn::U64(0), PtraceDyn::U64(0))
            } else {
                // PEEK*: the raw syscall stored the word at `data`; a non-resident page reads 0.
                let peek = |at: u64| {
                    let mut w = [0u8; 8];
                    if copy_user(&mut w, at as usize) { u64::from_le_bytes(w) } else { 0 }
                };
                (PtraceDyn::U64(a.u(2)), flags::ptrace_data(req, a.u(3), peek))
            };
            emit(cap, PPME_SYSCALL_PTRACE_X, cat, true, tid, |b| {
                b.u64(r)?;
                let mut buf = [0u8; 9];
                let n = addr.encode(&mut buf);
                b.push(buf.get(..n).unwrap_or(&[]))?;
                let n = data.encode(&mut buf);
                b.push(buf.get(..n).unwrap_or(&[]))?;
                b.u16(req)?;
                b.u64(a.u(1) as i32 as i64 as u64)
            })
        }
        nr::EXECVE | nr::EXECVEAT => {
            // Success is reported from sched_process_exec, where the new image and the kernel's
            // copy of the file name are at hand; here only failures.
            if ret < 0 {
                let (argv, envp) = if id == nr::EXECVE { (a.ptr(1), a.ptr(2)) } else { (a.ptr(2), a.ptr(3)) };
                exec_event(cap, id, ret, ExecSource::Failed { args: &a, argv, envp });
            }
        }
        nr::CLONE | nr::FORK | nr::VFORK | nr::CLONE3 => {
            // The child's event comes from sched_process_fork; here the parent's (or a failure).
            if ret != 0 {
                clone_event(cap, id, ret, current_task(), clone_flags_of(id, a.u(0)), DropCategory::SyscallExit);
            }
        }
        _ => {
            let code = usize::try_from(id).ok().and_then(|i| PPM_SC.get(i)).copied().unwrap_or(0);
            emit(cap, PPME_GENERIC_X, cat, true, tid, |b| {
                b.u16(code)?;
                b.u16(id as u16)
            })
        }
    }
}

const SOCKADDR_MAX: usize = 1 + 108 + 1;
const TUPLE_MAX: usize = 1 + 16 + 2 + 16 + 2 + 108;

/// Encodes the user `sockaddr` at `addr` (`len` bytes) as a PT_SOCKADDR into `d`.
// PANIC: none: `d.len() >= SOCKADDR_MAX` (110) is checked first, every write below ends by byte
// 110, and reads of `sa` stay below `len <= sa.len()` (checked per family).
fn user_sockaddr(d: &mut [u8], addr: usize, len: u64) -> usize {
    let mut sa = [0u8; 112];
    let len = (len as usize).min(sa.len());
    if addr == 0 || len < 2 || d.len() < SOCKADDR_MAX || !copy_user(&mut sa[..len], addr) {
        return 0;
    }
    let family = u16::from_le_bytes([sa[0], sa[1]]);
    let port = u16::from_be_bytes([sa[2], sa[3]]).to_le_bytes();
    match family {
        2 if len >= 8 => {
            d[0] = 2;
            d[1..5].copy_from_slice(&sa[4..8]);
            d[5..7].copy_from_slice(&port);
            7
        }
        10 if len >= 24 => {
            d[0] = 10;
            d[1..17].copy_from_slice(&sa[8..24]);
            d[17..19].copy_from_slice(&port);
            19
        }
        1 => {
            d[0] = 1;
            let path = &sa[2..len];
            let n = path.iter().position(|c| *c == 0).unwrap_or(path.len()).min(108);
            d[1..1 + n].copy_from_slice(&path[..n]);
            d[1 + n] = 0;
            n + 2
        }
        f => {
            d[0] = f as u8;
            1
        }
    }
}

/// Encodes a PT_SOCKTUPLE; `inbound` puts the peer first (accept), else the local end.
// PANIC: none: `d.len() >= TUPLE_MAX` is checked first and every write ends by byte 37.
fn socktuple(d: &mut [u8], s: &SockInfo, inbound: bool) -> usize {
    if d.len() < TUPLE_MAX {
        return 0;
    }
    let (la, lp, ra, rp) = (&s.saddr, s.sport, &s.daddr, s.dport);
    let ((sa, sp), (da, dp)) = if inbound { ((ra, rp), (la, lp)) } else { ((la, lp), (ra, rp)) };
    match s.family {
        2 => {
            d[0] = 2;
            d[1..5].copy_from_slice(&sa[..4]);
            d[5..7].copy_from_slice(&sp.to_le_bytes());
            d[7..11].copy_from_slice(&da[..4]);
            d[11..13].copy_from_slice(&dp.to_le_bytes());
            13
        }
        10 => {
            d[0] = 10;
            d[1..17].copy_from_slice(sa);
            d[17..19].copy_from_slice(&sp.to_le_bytes());
            d[19..35].copy_from_slice(da);
            d[35..37].copy_from_slice(&dp.to_le_bytes());
            37
        }
        1 => {
            d[0] = 1;
            d[1..9].copy_from_slice(&s.sk.to_le_bytes());
            d[9..17].copy_from_slice(&s.peer.to_le_bytes());
            d[17] = 0;
            18
        }
        _ => 0,
    }
}

/// The clone flags a fork-family syscall used (`arg0` is its first argument).
fn clone_flags_of(id: i64, arg0: u64) -> u64 {
    match id {
        nr::CLONE => arg0,
        nr::CLONE3 => {
            let mut f = [0u8; 8];
            if arg0 != 0 && copy_user(&mut f, arg0 as usize) { u64::from_le_bytes(f) } else { 0 }
        }
        nr::VFORK => 0x100 | 0x4000, // CLONE_VM | CLONE_VFORK
        _ => 0,
    }
}

/// Where exec's argv/env come from.
enum ExecSource<'a> {
    /// The new image (success): its mm's argument and environment areas.
    NewImage(*const core::ffi::c_char),
    /// A failed call: the syscall's arguments and its user argv/envp arrays.
    Failed { args: &'a Args, argv: usize, envp: usize },
}

/// Copies `[start, end)` of current's memory, at most `dst.len()` bytes.
// PANIC: none: `n <= dst.len()`.
fn user_range(dst: &mut [u8], start: u64, end: u64) -> usize {
    let n = (end.saturating_sub(start) as usize).min(dst.len());
    if n == 0 || !copy_user(&mut dst[..n], start as usize) {
        return 0;
    }
    n
}

/// Writes `argv[from..to]` (a user array of string pointers) NUL-separated into `dst`.
// PANIC: none: the loop stops before `off` reaches `dst.len()`, and copy_user_str never reports
// more bytes than its buffer holds, so `dst[off..]` is always in bounds.
fn user_argv(dst: &mut [u8], argv: usize, from: usize, to: usize) -> usize {
    if argv == 0 {
        return 0;
    }
    let mut off = 0;
    for i in from..to.min(MAX_ARGV) {
        let mut p = [0u8; 8];
        if !copy_user(&mut p, argv + i * 8) {
            break;
        }
        let p = u64::from_le_bytes(p) as usize;
        if p == 0 || off >= dst.len() {
            break;
        }
        let n = copy_user_str(&mut dst[off..], p);
        if n == 0 {
            break;
        }
        off += n;
    }
    off
}

/// The first NUL-terminated string of current's argument area, as exe.
// PANIC: none: `lim <= dst.len()`.
fn mm_exe(dst: &mut [u8], ti: &TaskInfo) -> usize {
    let n = ti.arg_end.saturating_sub(ti.arg_start) as usize;
    let lim = n.min(dst.len());
    if lim == 0 {
        return 0;
    }
    copy_user_str(&mut dst[..lim], ti.arg_start as usize)
}

/// Pushes the parameters clone and execve layouts share: res, exe, args, tid, pid, ptid, cwd,
/// fdlimit, pgft_maj, pgft_min, vm_size, vm_rss, vm_swap, comm, cgroups.
///
/// # Safety
/// `t` must be current or a task whose mm is current's or a copy of it (a fork child).
unsafe fn proc_common(b: &mut RecordBuilder<'_>, res: i64, t: *mut bindings::task_struct, ti: &TaskInfo, src: &ExecSource<'_>) -> R {
    b.u64(res as u64)?;
    // exe (argv[0]) then args (the rest).
    let mut exe_len = 0usize;
    match src {
        ExecSource::NewImage(_) => {
            b.with(PATH_LIMIT, |d| {
                exe_len = mm_exe(d, ti);
                exe_len
            })?;
            b.with(ARGS_LIMIT, |d| user_range(d, ti.arg_start + exe_len as u64, ti.arg_end))?;
        }
        ExecSource::Failed { argv, .. } => {
            b.with(PATH_LIMIT, |d| user_argv(d, *argv, 0, 1))?;
            b.with(ARGS_LIMIT, |d| user_argv(d, *argv, 1, MAX_ARGV))?;
        }
    }
    // SAFETY: caller guarantees `t`.
    let (tid, pid) = unsafe { ((*t).pid as u64, (*t).tgid as u64) };
    b.u64(tid)?;
    b.u64(pid)?;
    b.u64(ti.ptid as u64)?;
    // SAFETY: caller guarantees `t`.
    b.with(PATH_LIMIT, |d| unsafe { task_cwd(t, d) })?;
    b.u64(ti.fdlimit)?;
    b.u64(ti.maj_flt)?;
    b.u64(ti.min_flt)?;
    b.u32(ti.total_vm_kb as u32)?;
    b.u32(ti.rss_kb as u32)?;
    b.u32(ti.swap_kb as u32)?;
    // SAFETY: `comm` is a fixed array inside the live task.
    let comm = unsafe { &(*t).comm };
    let n = comm.iter().position(|c| *c == 0).unwrap_or(comm.len());
    // SAFETY: c_char and u8 have the same layout.
    b.kstr(unsafe { core::slice::from_raw_parts(comm.as_ptr().cast::<u8>(), n) })?;
    // SAFETY: caller guarantees `t`.
    b.with(CGROUPS_LIMIT, |d| unsafe { cgroups(t, d) })
}

/// Bytes of the cgroups parameter.
const CGROUPS_LIMIT: usize = 2048;
/// Controllers listed in the cgroups parameter. With cgroup v2 they share one path: that of the
/// task's cgroup in the default hierarchy.
const CONTROLLERS: [&[u8]; 6] = [b"cpuset", b"cpu", b"cpuacct", b"io", b"memory", b"pids"];

/// Writes `name=path\0` for each of [`CONTROLLERS`] into `d`; returns the bytes written.
///
/// # Safety
/// `t` must be a live task.
// PANIC: none: every slice is bounded by the checks against `d.len()` just before it.
unsafe fn cgroups(t: *mut bindings::task_struct, d: &mut [u8]) -> usize {
    let first = CONTROLLERS[0];
    if d.len() <= first.len() + 2 {
        return 0;
    }
    d[..first.len()].copy_from_slice(first);
    d[first.len()] = b'=';
    let start = first.len() + 1;
    // SAFETY: caller guarantees `t`.
    let plen = unsafe { task_cgroup(t, &mut d[start..]) }; // path + NUL
    if plen == 0 {
        return 0;
    }
    let mut off = start + plen;
    for name in &CONTROLLERS[1..] {
        let need = name.len() + 1 + plen;
        if off + need > d.len() {
            break;
        }
        d[off..off + name.len()].copy_from_slice(name);
        d[off + name.len()] = b'=';
        d.copy_within(start..start + plen, off + name.len() + 1);
        off += need;
    }
    off
}

/// An execve/execveat exit event (`id` is the syscall) for current.
fn exec_event(cap: &Capture, id: i64, res: i64, src: ExecSource<'_>) {
    let t = current_task();
    // SAFETY: current is live.
    let ti = unsafe { task_info(t) };
    let ev = if id == nr::EXECVEAT { PPME_SYSCALL_EXECVEAT_X } else { PPME_SYSCALL_EXECVE_19_X };
    let cat = if res < 0 { DropCategory::SyscallExit } else { DropCategory::Process };
    // A failed exec leaves the old image: its flags describe the caller's executable, as in libs.
    let exe_flags = current_exe_flags();
    emit(cap, ev, cat, res < 0, current_tid(), |b| {
        // SAFETY: `t` is current.
        unsafe { proc_common(b, res, t, &ti, &src) }?;
        match &src {
            ExecSource::NewImage(_) => b.with(ENV_LIMIT, |d| user_range(d, ti.env_start, ti.env_end))?,
            ExecSource::Failed { envp, .. } => b.with(ENV_LIMIT, |d| user_argv(d, *envp, 0, MAX_ARGV))?,
        }
        b.u32(ti.tty)?;
        b.u64(ti.vpgid as u64)?;
        b.u32(ti.loginuid)?;
        b.u32(exe_flags)?;
        b.u64(ti.cap_inheritable)?;
        b.u64(ti.cap_permitted)?;
        b.u64(ti.cap_effective)?;
        b.u64(ti.exe_ino)?;
        b.u64(ti.exe_ctime_ns)?;
        b.u64(ti.exe_mtime_ns)?;
        b.u32(ti.euid)?;
        b.with(PATH_LIMIT, |d| {
            // SAFETY: `t` is current.
            let n = unsafe { task_exe(t, d) };
            strip_deleted(d, n)
        })?;
        b.u64(ti.pgid as u64)?;
        b.u32(ti.egid)?;
        if id != nr::EXECVEAT {
            match &src {
                ExecSource::NewImage(name) if !name.is_null() => {
                    // SAFETY: bprm->filename is a NUL-terminated kernel string for the whole exec.
                    let s = unsafe { core::ffi::CStr::from_ptr(*name) };
                    b.kstr(&s.to_bytes()[..s.to_bytes().len().min(PATH_LIMIT - 1)])?;
                }
                ExecSource::Failed { args, .. } => b.ustr(args.ptr(0), PATH_LIMIT)?,
                _ => {}
            }
        }
        Ok(())
    });
}

/// Drops d_path's ` (deleted)` suffix from the NUL-terminated path of `n` bytes (NUL
/// included) at the start of `d`, as libs does for `trusted_exepath` (a memfd or an unlinked
/// executable); returns the new length.
// PANIC: none: `n <= d.len()` (clamped) and every index is below `n`.
fn strip_deleted(d: &mut [u8], n: usize) -> usize {
    const SUFFIX: &[u8] = b" (deleted)";
    let n = n.min(d.len());
    if n <= SUFFIX.len() + 1 {
        return n;
    }
    let end = n - 1; // the NUL
    if &d[end - SUFFIX.len()..end] == SUFFIX {
        d[end - SUFFIX.len()] = 0;
        return n - SUFFIX.len();
    }
    n
}

/// A clone-family exit event for task `t` (the parent when `res != 0`, the child when 0).
fn clone_event(cap: &Capture, id: i64, res: i64, t: *mut bindings::task_struct, cflags: u64, cat: DropCategory) {
    // SAFETY: `t` is current or the child the fork tracepoint passes (alive for the call).
    let ti = unsafe { task_info(t) };
    let ev = match id {
        nr::FORK => PPME_SYSCALL_FORK_20_X,
        nr::VFORK => PPME_SYSCALL_VFORK_20_X,
        nr::CLONE3 => PPME_SYSCALL_CLONE3_X,
        _ => PPME_SYSCALL_CLONE_20_X,
    };
    // SAFETY: as above.
    let (tid, pid) = unsafe { ((*t).pid as i64, (*t).tgid as i64) };
    let mut pflags = flags::clone_flags(cflags);
    if ti.vtid != tid {
        pflags |= flags::CL_CHILD_IN_PIDNS;
    }
    let src = ExecSource::NewImage(core::ptr::null());
    emit(cap, ev, cat, res != 0, tid as u64, |b| {
        // SAFETY: `t` is current, or a fork child whose mm is a copy of (or is) current's.
        unsafe { proc_common(b, res, t, &ti, &src) }?;
        b.u32(pflags)?;
        b.u32(ti.euid)?;
        b.u32(ti.egid)?;
        b.u64(ti.vtid as u64)?;
        b.u64(ti.vpid as u64)?;
        // pidns_init_start_ts: only the child's event carries it, as in libs.
        b.u64(if res == 0 { ti.pidns_init_start } else { 0 })
    });
    let _ = pid;
}

/// sched_process_fork: the child's clone event (res 0), emitted from the parent's context.
///
/// # Safety
/// `child` must be the tracepoint's child task.
pub(crate) unsafe fn process_fork(cap: &Capture, child: *mut bindings::task_struct) {
    let (id, arg0) = current_syscall();
    let id = if id < 0 { nr::CLONE } else { id };
    clone_event(cap, id, 0, child, clone_flags_of(id, arg0 as u64), DropCategory::Process);
}

/// sched_process_exec: the exit event of every successful execve and execveat.
///
/// Always `PPME_SYSCALL_EXECVE_19_X` with its `filename` (the kernel's `bprm->filename`: the
/// path as given, `/dev/fd/N` for an fd with `AT_EMPTY_PATH`, `/dev/fd/N/path` for a path
/// relative to a directory fd), as libs' drivers report a successful exec on x86_64 (their
/// `sched_process_exec` programs and driver tests: `EXECVEAT_X` only for a failed execveat).
/// The syscall number is no guide here anyway: the ELF loader has already rewritten `orig_ax`
/// to `__NR_execve` (`set_personality_64bit`).
///
/// # Safety
/// `bprm` must be the tracepoint's `linux_binprm`.
pub(crate) unsafe fn process_exec(cap: &Capture, bprm: *const c_void) {
    // SAFETY: caller guarantees `bprm`.
    let name = unsafe { bprm_filename(bprm) };
    exec_event(cap, nr::EXECVE, 0, ExecSource::NewImage(name));
}

/// sched_process_exit: procexit for task `p` (current).
///
/// # Safety
/// `p` must be the tracepoint's exiting task.
pub(crate) unsafe fn process_exit(cap: &Capture, p: *mut bindings::task_struct) {
    // SAFETY: caller guarantees `p`.
    let (tid, code) = unsafe { ((*p).pid as u64, (*p).exit_code as u32) };
    // SAFETY: `p` is the exiting task (current), alive for the tracepoint.
    let reaper = unsafe { reaper_tid(p) };
    emit(cap, PPME_PROCEXIT_1_E, DropCategory::Process, false, tid, |b| {
        b.u64(code as u64)?;
        b.u64(((code >> 8) & 0xff) as u64)?;
        b.u8((code & 0x7f) as u8)?;
        b.u8(((code & 0x80) != 0) as u8)?;
        b.u64(reaper as u64)
    });
}
