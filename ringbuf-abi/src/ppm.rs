// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Values of libs' `PPM_*` parameter encodings that both sides act on: the module encodes a
//! syscall's argument into these, the engine's state parser tests them. Values are libs'
//! (`driver/ppm_events_public.h`), so captures written by Falco's drivers read the same.

/// `fcntl` commands (`PPM_FCNTL_*`), the `cmd` parameter of `PPME_SYSCALL_FCNTL_X`.
pub mod fcntl {
    /// `F_DUPFD`: the result is a new fd sharing the old one's file.
    pub const F_DUPFD: u64 = 1;
    /// `F_DUPFD_CLOEXEC`: as [`F_DUPFD`], with close-on-exec set.
    pub const F_DUPFD_CLOEXEC: u64 = 26;
}

/// `prctl` options (`PPM_PR_*`), the `option` parameter of `PPME_SYSCALL_PRCTL_X`; libs keeps
/// Linux's numbers.
pub mod prctl {
    /// `PR_SET_NAME`: sets the thread's `comm` (`arg2_str`).
    pub const PR_SET_NAME: u64 = 15;
}
