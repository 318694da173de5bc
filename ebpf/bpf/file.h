/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Helpers of the file-syscall programs: user strings as the module copies them, the
 * overlayfs layer of a file, openat2's open_how and pipe's descriptor pair. */
#pragma once

/* Longest path (the kernel's PATH_MAX) and longest name (mount's fstype, memfd's name) the
 * module copies; longer strings are cut, ending in a NUL. */
#define PATH_LIMIT 4096
#define NAME_LIMIT 256

/* include/uapi/linux/magic.h OVERLAYFS_SUPER_MAGIC */
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Where `__upperdentry` lies relative to the overlay inode's embedded `vfs_inode`: from the
 * kernel's BTF when it describes `struct ovl_inode`, else right after `struct inode` (its
 * place in every kernel since 4.13, the module's assumption). */
static __always_inline u64 ovl_upper_offset(void)
{
	if (bpf_core_type_exists(struct ovl_inode))
		return bpf_core_field_offset(struct ovl_inode, __upperdentry) -
		       bpf_core_field_offset(struct ovl_inode, vfs_inode);
	return bpf_core_type_size(struct inode);
}

/* The overlayfs layer of a file as kmod/shim_file.c's overlay_layer(): 0 not on overlayfs,
 * 1 upper (the inode has an upper dentry), 2 lower. */
static __always_inline int file_layer(struct file *f)
{
	if (!f)
		return 0;
	struct inode *i = BPF_CORE_READ(f, f_inode);
	if (!i)
		return 0;
	if (BPF_CORE_READ(i, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return 0;
	void *upper = 0;
	if (bpf_probe_read_kernel(&upper, sizeof(upper), (char *)i + ovl_upper_offset()) != 0)
		return 0;
	return upper ? 1 : 2;
}

/* creat's creat_flags for the file behind `fd` (0 for a failed creat or no overlayfs). */
static __always_inline u16 creat_layer_flags(s64 fd)
{
	if (fd < 0)
		return 0;
	switch (file_layer(fd_file(fd))) {
	case 1: return FD_UPPER_LAYER_CREAT;
	case 2: return FD_LOWER_LAYER_CREAT;
	default: return 0;
	}
}

/* struct open_how of openat2 (include/uapi/linux/openat2.h). */
struct open_how_u {
	u64 flags;
	u64 mode;
	u64 resolve;
};

/* Reads openat2's open_how from user memory; all zeros when unreadable, as in the module. */
static __always_inline void read_open_how(const void *uptr, struct open_how_u *how)
{
	how->flags = 0;
	how->mode = 0;
	how->resolve = 0;
	if (!uptr || bpf_probe_read_user(how, sizeof(*how), uptr) != 0) {
		how->flags = 0;
		how->mode = 0;
		how->resolve = 0;
	}
}

/* The two descriptors pipe/pipe2 wrote at `uptr`; false when the call failed or they cannot
 * be read back. */
static __always_inline bool read_pipe_fds(long ret, const void *uptr, s64 *fd1, s64 *fd2)
{
	s32 fds[2] = { 0, 0 };
	*fd1 = -1;
	*fd2 = -1;
	if (ret != 0 || !uptr || bpf_probe_read_user(fds, sizeof(fds), uptr) != 0)
		return false;
	*fd1 = fds[0];
	*fd2 = fds[1];
	return true;
}
