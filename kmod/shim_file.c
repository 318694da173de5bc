// SPDX-License-Identifier: GPL-2.0
/*
 * Facts about a file: the device and inode behind an fd, its overlayfs layer, and the
 * PPM_EXE_* flags of current's executable (writable, overlay layer, memfd). C because they
 * reach inodes, credentials and id-mapped mounts through static inlines (file_inode,
 * i_uid_into_vfsuid, current_fsuid, ...), and because the overlayfs layer needs a private
 * struct layout (overlay_layer(), the one such read in the module, with its version guard).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/version.h>

#include "shim.h"

int falco_fd_dev_ino(int fd, u32 *dev, u64 *ino)
{
	struct file *f;
	int ret = -EBADF;

	rcu_read_lock();
	f = falco_fd_file_rcu(fd);
	if (f) {
		struct inode *i = file_inode(f);

		*dev = new_encode_dev(i->i_sb->s_dev);
		*ino = i->i_ino;
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

/* Values of the PPM_EXE_* flags (execve `flags` parameter). */
#define FALCO_EXE_WRITABLE	(1 << 0)
#define FALCO_EXE_UPPER_LAYER	(1 << 1)
#define FALCO_EXE_FROM_MEMFD	(1 << 2)
#define FALCO_EXE_LOWER_LAYER	(1 << 3)

/* include/uapi/linux/magic.h OVERLAYFS_SUPER_MAGIC */
#define FALCO_OVERLAYFS_MAGIC	0x794c7630

/*
 * Kernels whose `struct ovl_inode` (fs/overlayfs/ovl_entry.h) was checked to have
 * `__upperdentry` right after the embedded `vfs_inode`: 7.3. Widen the range only after
 * checking that header of the new kernel.
 */
#define FALCO_OVL_INODE_LAYOUT_CHECKED \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0) && LINUX_VERSION_CODE < KERNEL_VERSION(7, 4, 0))

/*
 * The overlayfs layer a file lives in: 0 not on overlayfs (or not known), 1 upper, 2 lower.
 *
 * The module's one read of a private kernel structure, kept here and nowhere else: overlayfs
 * keeps its inodes in `struct ovl_inode` (not a public header) whose `vfs_inode` is followed
 * by `__upperdentry`, non-NULL once the file has an upper copy. The word after the inode is
 * only compared with NULL, never followed. On a kernel outside FALCO_OVL_INODE_LAYOUT_CHECKED
 * the layout is not trusted and every file reads as 0. The caller holds rcu_read_lock and the
 * file is pinned (fd table or mm reference).
 */
static int overlay_layer(struct file *f)
{
#if FALCO_OVL_INODE_LAYOUT_CHECKED
	struct inode *inode = file_inode(f);
	struct dentry *upper;

	if (!inode || inode->i_sb->s_magic != FALCO_OVERLAYFS_MAGIC)
		return 0;
	upper = READ_ONCE(*(struct dentry **)((char *)inode + sizeof(struct inode)));
	return upper ? 1 : 2;
#else
	return 0;
#endif
}

/*
 * PPM_EXE_* flags of current's executable, computed as libs does, without sleeping:
 * - WRITABLE: current may write the file (inode_permission in RCU-walk mode, MAY_NOT_BLOCK:
 *   a filesystem or LSM that would have to block answers -ECHILD, read as "not writable"),
 *   or owns it, or has CAP_FOWNER over its owner (checked without an audit record); on an
 *   overlayfs, ovl_permission (7.3) answers -ECHILD without a real inode and otherwise only
 *   swaps creds by RCU pointer around the real inode's check: nothing sleeps either;
 * - UPPER_LAYER / LOWER_LAYER: the overlayfs layer of the file (as libs: a lower-only file
 *   is LOWER_LAYER, one created in or copied up to the upper layer UPPER_LAYER);
 * - FROM_MEMFD: the file is a memfd (a pseudo dentry, its own parent, named "memfd:...").
 * Called from sched_process_exec, where current's mm and exe_file are the new image's.
 */
u32 falco_exe_flags(void)
{
	struct mm_struct *mm = current->mm;
	struct file *exe;
	u32 flags = 0;

	if (!mm)
		return 0;
	rcu_read_lock();
	exe = rcu_dereference(mm->exe_file);
	if (exe) {
		struct inode *inode = file_inode(exe);
		struct mnt_idmap *idmap = file_mnt_idmap(exe);
		struct dentry *d = exe->f_path.dentry;
		int layer = overlay_layer(exe);
		vfsuid_t vfsuid = i_uid_into_vfsuid(idmap, inode);

		if (inode_permission(idmap, inode, MAY_WRITE | MAY_NOT_BLOCK) == 0 ||
		    vfsuid_eq_kuid(vfsuid, current_fsuid()) ||
		    (vfsuid_has_mapping(current_user_ns(), vfsuid) &&
		     ns_capable_noaudit(current_user_ns(), CAP_FOWNER)))
			flags |= FALCO_EXE_WRITABLE;
		if (layer == 1)
			flags |= FALCO_EXE_UPPER_LAYER;
		else if (layer == 2)
			flags |= FALCO_EXE_LOWER_LAYER;
		if (d && d == d->d_parent &&
		    strncmp((const char *)d->d_name.name, "memfd:", 6) == 0)
			flags |= FALCO_EXE_FROM_MEMFD;
	}
	rcu_read_unlock();
	return flags;
}

/* The overlayfs layer of current's file descriptor fd (see overlay_layer), 0 if none. */
int falco_fd_overlay(int fd)
{
	struct file *f;
	int layer = 0;

	rcu_read_lock();
	f = falco_fd_file_rcu(fd);
	if (f)
		layer = overlay_layer(f);
	rcu_read_unlock();
	return layer;
}
