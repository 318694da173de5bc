//! The crate's raw libc calls, in one audited place; everything else uses these safe wrappers.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Sends one message to the system logger through libc's `syslog(3)`.
///
/// `priority` is a facility or'ed with a level (`LOG_USER | LOG_WARNING`). libc reports nothing
/// back: a missing or full `/dev/log` loses the message silently.
pub(crate) fn syslog(priority: libc::c_int, message: &CStr) {
    // SAFETY: the format is a NUL-terminated literal with exactly one `%s`, matched by one
    // argument that is a valid NUL-terminated string living for the whole call. glibc's syslog
    // is thread-safe (it serialises on an internal lock).
    unsafe { libc::syslog(priority, c"%s".as_ptr(), message.as_ptr()) }
}

/// Bytes written into a pipe and not yet read by its reader (`FIONREAD`), asked on either end.
///
/// # Errors
/// `EBADF` or `EINVAL` when `fd` is not a pipe.
pub(crate) fn pipe_unread_bytes(fd: BorrowedFd<'_>) -> io::Result<usize> {
    let mut unread: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which points to a live local.
    let rc = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            libc::FIONREAD,
            &mut unread as *mut libc::c_int,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(unread).unwrap_or(0))
}

/// The capacity of a pipe in bytes (`F_GETPIPE_SZ`).
///
/// # Errors
/// `EBADF` or `EINVAL` when `fd` is not a pipe.
pub(crate) fn pipe_capacity(fd: BorrowedFd<'_>) -> io::Result<usize> {
    // SAFETY: F_GETPIPE_SZ takes no argument and only reads the descriptor's pipe.
    let rc = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(rc).unwrap_or(0))
}

/// Sends `signal` to every process of the process group `pgid`.
///
/// # Errors
/// `ESRCH` when the group has no process left, `EPERM` when not allowed.
pub(crate) fn kill_process_group(pgid: u32, signal: libc::c_int) -> io::Result<()> {
    let pgid =
        libc::pid_t::try_from(pgid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    if pgid <= 1 {
        // Never signal our own group (0) or every process (-1 after negation of 1).
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    // SAFETY: kill has no memory effects; a negative pid names the process group.
    let rc = unsafe { libc::kill(-pgid, signal) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
