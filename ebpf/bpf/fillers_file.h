/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * File syscalls: the same events and parameters as kmod/events.rs, byte for byte (the same
 * limits on strings, the same empty-parameter rules, the flag conversions of flags.h).
 *
 * Differences from the module, and why:
 * - The overlayfs layer (creat's creat_flags) is found where the running kernel's BTF puts
 *   `struct ovl_inode`'s `__upperdentry` (or right after `struct inode`, whose size BTF gives,
 *   when overlayfs is not described), on any kernel. The module trusts its fixed layout on
 *   kernel 7.3 only and reports no layer elsewhere; on 7.3 both give the same value. BTF is
 *   what lets BPF check the layout instead of trusting it.
 * Everything else, including the values read back from user memory at exit (open_how, the
 * pipe's descriptors, read/write data), is read the way the module reads it: without faulting
 * pages in, so a non-resident page gives the same empty parameter on both sides.
 */
#pragma once

#include "file.h"

FILLER_ENTER(open)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPEN_E, DROP_SYSCALL_ENTER))
		return 0;
	u64 flags = arg(regs, 1);
	p_ustr_max(&r, (void *)arg(regs, 0), PATH_LIMIT);
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 2)));
	rec_submit(&r);
	return 0;
}

FILLER_ENTER(openat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPENAT_2_E, DROP_SYSCALL_ENTER))
		return 0;
	u64 flags = arg(regs, 2);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, (void *)arg(regs, 1), PATH_LIMIT);
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 3)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(open)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPEN_X, DROP_SYSCALL_EXIT))
		return 0;
	u32 dev;
	u64 ino;
	fd_dev_ino(ret, &dev, &ino);
	u64 flags = arg(regs, 1);
	p_s64(&r, ret);
	p_ustr_max(&r, (void *)arg(regs, 0), PATH_LIMIT);
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 2)));
	p_u32(&r, dev);
	p_u64(&r, ino);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(openat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPENAT_2_X, DROP_SYSCALL_EXIT))
		return 0;
	u32 dev;
	u64 ino;
	fd_dev_ino(ret, &dev, &ino);
	u64 flags = arg(regs, 2);
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, (void *)arg(regs, 1), PATH_LIMIT);
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 3)));
	p_u32(&r, dev);
	p_u64(&r, ino);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(close)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_CLOSE_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	rec_submit(&r);
	return 0;
}

/* A user pointer argument. */
#define UARG(i) ((const void *)arg(regs, i))

FILLER_ENTER(openat2)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPENAT2_E, DROP_SYSCALL_ENTER))
		return 0;
	struct open_how_u how;
	read_open_how(UARG(2), &how);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, UARG(1), PATH_LIMIT);
	p_u32(&r, open_flags(how.flags));
	p_u32(&r, open_mode(how.flags, how.mode));
	p_u32(&r, resolve_flags(how.resolve));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(openat2)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPENAT2_X, DROP_SYSCALL_EXIT))
		return 0;
	u32 dev;
	u64 ino;
	fd_dev_ino(ret, &dev, &ino);
	struct open_how_u how;
	read_open_how(UARG(2), &how);
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, UARG(1), PATH_LIMIT);
	p_u32(&r, open_flags(how.flags));
	p_u32(&r, open_mode(how.flags, how.mode));
	p_u32(&r, resolve_flags(how.resolve));
	p_u32(&r, dev);
	p_u64(&r, ino);
	rec_submit(&r);
	return 0;
}

FILLER_ENTER(creat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_CREAT_E, DROP_SYSCALL_ENTER))
		return 0;
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_u32(&r, file_mode(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(creat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_CREAT_X, DROP_SYSCALL_EXIT))
		return 0;
	u32 dev;
	u64 ino;
	fd_dev_ino(ret, &dev, &ino);
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_u32(&r, file_mode(arg(regs, 1)));
	p_u32(&r, dev);
	p_u64(&r, ino);
	p_u16(&r, creat_layer_flags(ret));
	rec_submit(&r);
	return 0;
}

/* read and write: res, data (the bytes transferred, cut to the snaplen), fd, size. */
static __always_inline int read_write_exit(struct pt_regs *regs, long ret, u32 type, u32 nparams)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ubuf(&r, UARG(1), ret > 0 ? (u64)ret : 0);
	p_fd(&r, arg(regs, 0));
	p_u32(&r, (u32)arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(read)
{
	return read_write_exit(regs, ret, PPME_SYSCALL_READ_X, PPME_SYSCALL_READ_X_NP);
}

FILLER_EXIT(write)
{
	return read_write_exit(regs, ret, PPME_SYSCALL_WRITE_X, PPME_SYSCALL_WRITE_X_NP);
}

/* The exit events whose parameters are res then one user path (unlink, rmdir, chdir). */
static __always_inline int res_path_exit(struct pt_regs *regs, long ret, u32 type, u32 nparams)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(unlink)
{
	return res_path_exit(regs, ret, PPME_SYSCALL_UNLINK_2_X, PPME_SYSCALL_UNLINK_2_X_NP);
}

FILLER_EXIT(rmdir)
{
	return res_path_exit(regs, ret, PPME_SYSCALL_RMDIR_2_X, PPME_SYSCALL_RMDIR_2_X_NP);
}

FILLER_EXIT(chdir)
{
	return res_path_exit(regs, ret, PPME_SYSCALL_CHDIR_X, PPME_SYSCALL_CHDIR_X_NP);
}

FILLER_EXIT(unlinkat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_UNLINKAT_2_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, UARG(1), PATH_LIMIT);
	p_u32(&r, unlinkat_flags(arg(regs, 2)));
	rec_submit(&r);
	return 0;
}

/* res, path, mode (mkdir, chmod). */
static __always_inline int res_path_mode_exit(struct pt_regs *regs, long ret, u32 type, u32 nparams)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_u32(&r, file_mode(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(mkdir)
{
	return res_path_mode_exit(regs, ret, PPME_SYSCALL_MKDIR_2_X, PPME_SYSCALL_MKDIR_2_X_NP);
}

FILLER_EXIT(chmod)
{
	return res_path_mode_exit(regs, ret, PPME_SYSCALL_CHMOD_X, PPME_SYSCALL_CHMOD_X_NP);
}

/* res, dirfd, path, mode (mkdirat, fchmodat). */
static __always_inline int res_dirfd_path_mode_exit(struct pt_regs *regs, long ret, u32 type, u32 nparams)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, UARG(1), PATH_LIMIT);
	p_u32(&r, file_mode(arg(regs, 2)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(mkdirat)
{
	return res_dirfd_path_mode_exit(regs, ret, PPME_SYSCALL_MKDIRAT_X, PPME_SYSCALL_MKDIRAT_X_NP);
}

FILLER_EXIT(fchmodat)
{
	return res_dirfd_path_mode_exit(regs, ret, PPME_SYSCALL_FCHMODAT_X, PPME_SYSCALL_FCHMODAT_X_NP);
}

FILLER_EXIT(fchmod)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_FCHMOD_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_u32(&r, file_mode(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

/* res, two user paths (rename, link, symlink). */
static __always_inline int res_two_paths_exit(struct pt_regs *regs, long ret, u32 type, u32 nparams)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_ustr_max(&r, UARG(1), PATH_LIMIT);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(rename)
{
	return res_two_paths_exit(regs, ret, PPME_SYSCALL_RENAME_X, PPME_SYSCALL_RENAME_X_NP);
}

FILLER_EXIT(link)
{
	return res_two_paths_exit(regs, ret, PPME_SYSCALL_LINK_2_X, PPME_SYSCALL_LINK_2_X_NP);
}

FILLER_EXIT(symlink)
{
	return res_two_paths_exit(regs, ret, PPME_SYSCALL_SYMLINK_X, PPME_SYSCALL_SYMLINK_X_NP);
}

/* res, olddirfd, oldpath, newdirfd, newpath: the start of renameat, renameat2 and linkat. */
static __always_inline void two_dirfd_paths(struct rec *r, struct pt_regs *regs, long ret)
{
	p_s64(r, ret);
	p_fd(r, arg(regs, 0));
	p_ustr_max(r, UARG(1), PATH_LIMIT);
	p_fd(r, arg(regs, 2));
	p_ustr_max(r, UARG(3), PATH_LIMIT);
}

FILLER_EXIT(renameat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_RENAMEAT_X, DROP_SYSCALL_EXIT))
		return 0;
	two_dirfd_paths(&r, regs, ret);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(renameat2)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_RENAMEAT2_X, DROP_SYSCALL_EXIT))
		return 0;
	two_dirfd_paths(&r, regs, ret);
	/* RENAME_* flags are recorded as given: libs' values are Linux's. */
	p_u32(&r, (u32)arg(regs, 4));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(linkat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_LINKAT_2_X, DROP_SYSCALL_EXIT))
		return 0;
	two_dirfd_paths(&r, regs, ret);
	p_u32(&r, linkat_flags(arg(regs, 4)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(symlinkat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_SYMLINKAT_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_fd(&r, arg(regs, 1));
	p_ustr_max(&r, UARG(2), PATH_LIMIT);
	rec_submit(&r);
	return 0;
}

/* res, path, uid, gid (chown, lchown). */
static __always_inline int chown_exit(struct pt_regs *regs, long ret, u32 type, u32 nparams)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_u32(&r, (u32)arg(regs, 1));
	p_u32(&r, (u32)arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(chown)
{
	return chown_exit(regs, ret, PPME_SYSCALL_CHOWN_X, PPME_SYSCALL_CHOWN_X_NP);
}

FILLER_EXIT(lchown)
{
	return chown_exit(regs, ret, PPME_SYSCALL_LCHOWN_X, PPME_SYSCALL_LCHOWN_X_NP);
}

FILLER_EXIT(fchown)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_FCHOWN_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_u32(&r, (u32)arg(regs, 1));
	p_u32(&r, (u32)arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(fchownat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_FCHOWNAT_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, UARG(1), PATH_LIMIT);
	p_u32(&r, (u32)arg(regs, 2));
	p_u32(&r, (u32)arg(regs, 3));
	p_u32(&r, fchownat_flags(arg(regs, 4)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(mount)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_MOUNT_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_ustr_max(&r, UARG(1), PATH_LIMIT);
	p_ustr_max(&r, UARG(2), NAME_LIMIT);
	p_u32(&r, mount_flags(arg(regs, 3)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(umount2)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_UMOUNT2_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), PATH_LIMIT);
	p_u32(&r, umount2_flags(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(memfd_create)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_MEMFD_CREATE_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_ustr_max(&r, UARG(0), NAME_LIMIT);
	p_u32(&r, memfd_flags(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(fcntl)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_FCNTL_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_u8(&r, fcntl_cmd(arg(regs, 1)));
	p_u64(&r, arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(dup)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_DUP_1_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(dup2)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_DUP2_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_fd(&r, arg(regs, 1));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(dup3)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_DUP3_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_fd(&r, arg(regs, 1));
	p_u32(&r, dup3_flags(arg(regs, 2)));
	rec_submit(&r);
	return 0;
}

/* pipe and pipe2: res, the two descriptors read back from user memory (-1 when the call
 * failed or they cannot be read), the pipe's inode, and pipe2's flags. */
static __always_inline int pipe_exit(struct pt_regs *regs, long ret, bool two)
{
	struct rec r;
	u32 type = two ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X;
	u32 np = two ? PPME_SYSCALL_PIPE2_X_NP : PPME_SYSCALL_PIPE_X_NP;
	if (!rec_begin(&r, type, np, DROP_SYSCALL_EXIT))
		return 0;
	s64 fd1, fd2;
	u32 dev = 0;
	u64 ino = 0;
	if (read_pipe_fds(ret, UARG(0), &fd1, &fd2))
		fd_dev_ino(fd1, &dev, &ino);
	p_s64(&r, ret);
	p_s64(&r, fd1);
	p_s64(&r, fd2);
	p_u64(&r, ino);
	if (two)
		p_u32(&r, pipe2_flags(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(pipe)
{
	return pipe_exit(regs, ret, false);
}

FILLER_EXIT(pipe2)
{
	return pipe_exit(regs, ret, true);
}

FILLER_EXIT(fchdir)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_FCHDIR_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	rec_submit(&r);
	return 0;
}
