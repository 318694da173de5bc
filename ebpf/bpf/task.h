/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Reading the current task's kernel state: its file table, files and devices. */
#pragma once

/* The kernel's new_encode_dev(): the dev_t layout userspace sees. */
static __always_inline u32 encode_dev(u32 dev)
{
	u32 major = dev >> 20, minor = dev & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* The file behind the current task's descriptor `fd`, or NULL. */
static __always_inline struct file *fd_file(s64 fd)
{
	if (fd < 0)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct files_struct *files = t->files;
	if (!files)
		return 0;
	struct fdtable *fdt = files->fdt;
	if (!fdt || (u64)fd >= fdt->max_fds)
		return 0;
	struct file **fds = fdt->fd;
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Device and inode of the file behind `fd` (zeros when there is none). */
static __always_inline void fd_dev_ino(s64 fd, u32 *dev, u64 *ino)
{
	*dev = 0;
	*ino = 0;
	struct file *f = fd_file(fd);
	if (!f)
		return;
	struct inode *i = BPF_CORE_READ(f, f_inode);
	if (!i)
		return;
	*dev = encode_dev(BPF_CORE_READ(i, i_sb, s_dev));
	*ino = BPF_CORE_READ(i, i_ino);
}
