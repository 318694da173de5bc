// SPDX-License-Identifier: GPL-2.0
/*
 * C shim of the falco module: thin wrappers over kernel static inlines and macros that the Rust
 * bindings of 7.3 cannot reach (preemption, vmap protections, task_pt_regs, fs/mm/file/socket
 * accessors). Every function here is callable in atomic context: nothing sleeps, nothing takes a
 * reference whose release could sleep (paths and files are read under RCU, without refs).
 * The Rust side declares these in kmod/bindings.rs, the only file that does.
 */
#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/pid_namespace.h>
#include <linux/preempt.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <linux/tty.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/syscall.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/af_unix.h>
#include <net/ipv6.h>

/* One socket's addresses, filled by falco_fd_sock(). Layout mirrored in bindings.rs. */
struct falco_sock_info {
	u16 family;	/* AF_* */
	u16 sport;	/* host order */
	u16 dport;	/* host order */
	u16 pad;
	u8 saddr[16];	/* network order (4 bytes used for AF_INET) */
	u8 daddr[16];
	u64 sk;		/* kernel address of the sock (unix tuples carry it) */
	u64 peer;	/* kernel address of the peer sock (unix) */
};

/* Task facts filled by falco_task_info(). Layout mirrored in bindings.rs. */
struct falco_task_info {
	s64 vtid, vpid, pgid, vpgid, ptid;
	u64 fdlimit;
	u64 total_vm_kb, rss_kb, swap_kb;
	u32 tty;
	u32 pad;
	u64 exe_ino;
	u64 exe_ctime_ns, exe_mtime_ns;
	u32 euid, egid, loginuid, pad2;
	u64 cap_inheritable, cap_permitted, cap_effective;
	u64 arg_start, arg_end, env_start, env_end;
	u64 maj_flt, min_flt;
	u64 pidns_init_start;	/* start_time of the init task of t's pid namespace */
};

unsigned int falco_get_cpu(void);
void falco_put_cpu(void);
void *falco_vmap(struct page **pages, unsigned int count);
long falco_syscall_nr(unsigned long *arg0);
int falco_task_cwd(struct task_struct *t, char *buf, int len);
int falco_task_exe(struct task_struct *t, char *buf, int len);
void falco_task_info(struct task_struct *t, struct falco_task_info *out);
const char *falco_bprm_filename(const struct linux_binprm *bprm);
int falco_fd_dev_ino(int fd, u32 *dev, u64 *ino);
int falco_fd_sock(int fd, struct falco_sock_info *out);
long falco_strncpy_user_nofault(char *dst, const void __user *src, long count);
bool falco_in_compat_syscall(void);
int falco_task_cgroup(struct task_struct *t, char *buf, int len);
unsigned long long falco_totalram_bytes(void);
u32 falco_exe_flags(void);
int falco_fd_overlay(int fd);
long falco_reaper_tid(struct task_struct *t);
int falco_sock_backlog(int fd, u32 *len, u32 *max);

unsigned long long falco_totalram_bytes(void)
{
	return (unsigned long long)totalram_pages() << PAGE_SHIFT;
}

void falco_flush_init(void (*fn)(void));
void falco_flush_arm(unsigned int ms);
void falco_flush_shutdown(void);

/*
 * The flush timer: a one-shot timer that poll() arms when a reader goes to sleep with data
 * pending below the watermark, so that data is delivered after a short delay even if its CPU
 * makes no further events. Nothing runs while no reader waits.
 */
static struct timer_list falco_flush_timer;
static void (*falco_flush_fn)(void);

static void falco_flush_cb(struct timer_list *t)
{
	falco_flush_fn();
}

void falco_flush_init(void (*fn)(void))
{
	falco_flush_fn = fn;
	timer_setup(&falco_flush_timer, falco_flush_cb, 0);
}

void falco_flush_arm(unsigned int ms)
{
	/* Only brings an armed timer forward, never pushes it back. */
	timer_reduce(&falco_flush_timer, jiffies + msecs_to_jiffies(ms));
}

void falco_flush_shutdown(void)
{
	timer_shutdown_sync(&falco_flush_timer);
}

/*
 * Path of task t's cgroup in the default (v2) hierarchy, NUL-terminated, at the start of buf;
 * returns its length with the NUL or a negative errno. kernfs_path takes only a read rwlock.
 */
int falco_task_cgroup(struct task_struct *t, char *buf, int len)
{
	int ret;

	if (len <= 0)
		return -ENOSPC;
	rcu_read_lock();
	ret = cgroup_path(task_dfl_cgroup(t), buf, len);
	rcu_read_unlock();
	if (ret < 0)
		return ret;
	return ret >= len ? len : ret + 1;
}

/* True while current runs a 32-bit (ia32) syscall: its numbers are not the x86_64 ones. */
bool falco_in_compat_syscall(void)
{
	return in_ia32_syscall();
}

/*
 * strncpy_from_user_nofault() is not exported; this is the same thing built from exported
 * pieces: with page faults disabled a non-resident page makes the copy fail instead of sleeping.
 */
long falco_strncpy_user_nofault(char *dst, const void __user *src, long count)
{
	long ret;

	pagefault_disable();
	ret = strncpy_from_user(dst, src, count);
	pagefault_enable();
	return ret;
}

unsigned int falco_get_cpu(void)
{
	return get_cpu();	/* preempt_disable() + smp_processor_id() */
}

void falco_put_cpu(void)
{
	put_cpu();
}

/* Maps `count` pages contiguously in the kernel (the ring's pages, data twice). */
void *falco_vmap(struct page **pages, unsigned int count)
{
	return vmap(pages, count, VM_MAP, PAGE_KERNEL);
}

/* The syscall current is executing (orig_ax) and its first argument; -1 outside a syscall. */
long falco_syscall_nr(unsigned long *arg0)
{
	struct pt_regs *regs;

	*arg0 = 0;
	if (current->flags & PF_KTHREAD)
		return -1;
	regs = task_pt_regs(current);
	*arg0 = regs->di;
	return syscall_get_nr(current, regs);
}

/* Writes the NUL-terminated path of `p` at the start of buf; returns its length with the NUL. */
static int path_to_buf(const struct path *p, char *buf, int len)
{
	char *s = d_path(p, buf, len);
	int n;

	if (IS_ERR(s))
		return PTR_ERR(s);
	n = buf + len - s;	/* includes the NUL d_path wrote at the end */
	memmove(buf, s, n);
	return n;
}

int falco_task_cwd(struct task_struct *t, char *buf, int len)
{
	struct path pwd;
	unsigned int seq;
	int ret = -ENOENT;

	rcu_read_lock();
	task_lock(t);
	if (t->fs) {
		do {
			seq = read_seqbegin(&t->fs->seq);
			pwd = t->fs->pwd;
		} while (read_seqretry(&t->fs->seq, seq));
		ret = path_to_buf(&pwd, buf, len);
	}
	task_unlock(t);
	rcu_read_unlock();
	return ret;
}

int falco_task_exe(struct task_struct *t, char *buf, int len)
{
	struct file *exe;
	int ret = -ENOENT;

	rcu_read_lock();
	if (t->mm) {
		exe = rcu_dereference(t->mm->exe_file);
		if (exe)
			ret = path_to_buf(&exe->f_path, buf, len);
	}
	rcu_read_unlock();
	return ret;
}

void falco_task_info(struct task_struct *t, struct falco_task_info *out)
{
	struct pid_namespace *ns;
	struct tty_struct *tty;
	struct file *exe;
	struct inode *ino;

	memset(out, 0, sizeof(*out));
	rcu_read_lock();
	ns = task_active_pid_ns(t);
	out->vtid = task_pid_nr_ns(t, ns);
	out->vpid = task_tgid_nr_ns(t, ns);
	out->vpgid = task_pgrp_nr_ns(t, ns);
	out->pgid = task_pgrp_nr_ns(t, &init_pid_ns);
	out->ptid = task_tgid_nr(rcu_dereference(t->real_parent));
	if (ns) {
		struct task_struct *reaper = READ_ONCE(ns->child_reaper);

		if (reaper)
			out->pidns_init_start = reaper->start_time;
	}
	if (t->signal) {
		out->fdlimit = READ_ONCE(t->signal->rlim[RLIMIT_NOFILE].rlim_cur);
		tty = READ_ONCE(t->signal->tty);
		if (tty && tty->driver)
			out->tty = new_encode_dev(MKDEV(tty->driver->major,
						tty->driver->minor_start + tty->index));
	}
	{
		const struct cred *c = rcu_dereference(t->cred);

		out->euid = from_kuid_munged(&init_user_ns, c->euid);
		out->egid = from_kgid_munged(&init_user_ns, c->egid);
		out->cap_inheritable = c->cap_inheritable.val;
		out->cap_permitted = c->cap_permitted.val;
		out->cap_effective = c->cap_effective.val;
	}
#ifdef CONFIG_AUDIT
	out->loginuid = from_kuid_munged(&init_user_ns, t->loginuid);
#else
	out->loginuid = (u32)-1;
#endif
	out->maj_flt = t->maj_flt;
	out->min_flt = t->min_flt;
	if (t->mm) {
		out->arg_start = t->mm->arg_start;
		out->arg_end = t->mm->arg_end;
		out->env_start = t->mm->env_start;
		out->env_end = t->mm->env_end;
		out->total_vm_kb = t->mm->total_vm << (PAGE_SHIFT - 10);
		out->rss_kb = get_mm_rss(t->mm) << (PAGE_SHIFT - 10);
		out->swap_kb = get_mm_counter(t->mm, MM_SWAPENTS) << (PAGE_SHIFT - 10);
		exe = rcu_dereference(t->mm->exe_file);
		if (exe) {
			ino = file_inode(exe);
			out->exe_ino = ino->i_ino;
			out->exe_ctime_ns = timespec64_to_ns(&(struct timespec64){
				inode_get_ctime_sec(ino), inode_get_ctime_nsec(ino)});
			out->exe_mtime_ns = timespec64_to_ns(&(struct timespec64){
				inode_get_mtime_sec(ino), inode_get_mtime_nsec(ino)});
		}
	}
	rcu_read_unlock();
}

const char *falco_bprm_filename(const struct linux_binprm *bprm)
{
	return bprm ? bprm->filename : NULL;
}

/* Looks up current's fd without taking a reference; the caller holds rcu_read_lock. */
static struct file *fd_file_rcu(int fd)
{
	struct files_struct *files = current->files;

	if (!files || fd < 0)
		return NULL;
	return files_lookup_fd_raw(files, fd);
}

int falco_fd_dev_ino(int fd, u32 *dev, u64 *ino)
{
	struct file *f;
	int ret = -EBADF;

	rcu_read_lock();
	f = fd_file_rcu(fd);
	if (f) {
		struct inode *i = file_inode(f);

		*dev = new_encode_dev(i->i_sb->s_dev);
		*ino = i->i_ino;
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

int falco_fd_sock(int fd, struct falco_sock_info *out)
{
	struct file *f;
	struct socket *sock;
	struct sock *sk;
	int ret = -ENOTSOCK;

	memset(out, 0, sizeof(*out));
	rcu_read_lock();
	f = fd_file_rcu(fd);
	sock = f ? sock_from_file(f) : NULL;
	sk = sock ? READ_ONCE(sock->sk) : NULL;
	if (sk) {
		const struct inet_sock *inet = inet_sk(sk);

		out->family = READ_ONCE(sk->sk_family);
		out->sk = (u64)(unsigned long)sk;
		switch (out->family) {
		case AF_INET:
			memcpy(out->saddr, &inet->inet_saddr, 4);
			memcpy(out->daddr, &sk->sk_daddr, 4);
			out->sport = ntohs(inet->inet_sport);
			out->dport = ntohs(sk->sk_dport);
			break;
#if IS_ENABLED(CONFIG_IPV6)
		case AF_INET6:
			memcpy(out->saddr, &sk->sk_v6_rcv_saddr, 16);
			memcpy(out->daddr, &sk->sk_v6_daddr, 16);
			out->sport = ntohs(inet->inet_sport);
			out->dport = ntohs(sk->sk_dport);
			break;
#endif
		case AF_UNIX:
			out->peer = (u64)(unsigned long)READ_ONCE(unix_sk(sk)->peer);
			break;
		}
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
 * The overlayfs layer a file lives in: 0 not on overlayfs, 1 upper, 2 lower. overlayfs keeps
 * its inodes in `struct ovl_inode` (fs/overlayfs/ovl_entry.h, not a public header) whose
 * `vfs_inode` is followed by `__upperdentry`: non-NULL once the file has an upper copy. The
 * caller holds rcu_read_lock and the file is pinned (fd table or mm reference).
 */
static int overlay_layer(struct file *f)
{
	struct inode *inode = file_inode(f);
	struct dentry *upper;

	if (!inode || inode->i_sb->s_magic != FALCO_OVERLAYFS_MAGIC)
		return 0;
	upper = READ_ONCE(*(struct dentry **)((char *)inode + sizeof(struct inode)));
	return upper ? 1 : 2;
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
	f = fd_file_rcu(fd);
	if (f)
		layer = overlay_layer(f);
	rcu_read_unlock();
	return layer;
}

/* A thread of t's group that is not exiting, or NULL. Caller holds rcu_read_lock. */
static struct task_struct *alive_thread(struct task_struct *t)
{
	struct task_struct *it;
	int n = 0;

	for_each_thread(t, it) {
		if (!(READ_ONCE(it->flags) & PF_EXITING))
			return it;
		if (++n >= 64)	/* bounded: give up on huge thread groups */
			return ERR_PTR(-E2BIG);
	}
	return NULL;
}

/*
 * Whether an alive thread of p's group decides the reaper: then *ret is its pid, or -1 when
 * the bounded walk gave up. Caller holds rcu_read_lock.
 */
static bool reaper_in_group(struct task_struct *p, long *ret)
{
	struct task_struct *it = alive_thread(p);

	if (IS_ERR(it)) {
		*ret = -1;
		return true;
	}
	if (it) {
		*ret = it->pid;
		return true;
	}
	return false;
}

/*
 * The thread that will adopt the children of exiting task t, as the kernel's
 * find_new_reaper() (kernel/exit.c) will choose it: another live thread of t's group, else the
 * nearest child-subreaper ancestor in t's pid namespace, else the namespace's init. 0 when t
 * has no children (nothing to adopt) or is the dying init of its namespace; -1 when a bounded
 * walk gives up. Read under RCU without tasklist_lock: a racing fork or exit can make the
 * answer stale, exactly as in libs' probes.
 */
long falco_reaper_tid(struct task_struct *t)
{
	struct pid_namespace *ns;
	struct task_struct *reaper, *p;
	unsigned int level;
	long ret = 0;
	int n;

	if (list_empty(&t->children))
		return 0;
	rcu_read_lock();
	if (reaper_in_group(t, &ret))
		goto out;
	ns = task_active_pid_ns(t);
	reaper = ns ? READ_ONCE(ns->child_reaper) : NULL;
	if (!reaper || reaper == t)
		goto out;
	ret = reaper->pid;
	if (!t->signal || !t->signal->has_child_subreaper)
		goto out;
	level = task_pid(t)->level;
	p = rcu_dereference(t->real_parent);
	for (n = 0; p && n < 64; n++, p = rcu_dereference(p->real_parent)) {
		if (p == &init_task || !task_pid(p) || task_pid(p)->level != level || p == reaper)
			goto out;
		if (!p->signal || !p->signal->is_child_subreaper)
			continue;
		if (reaper_in_group(p, &ret))
			goto out;
	}
	if (n >= 64)
		ret = -1;
out:
	rcu_read_unlock();
	return ret;
}

/*
 * Accept-queue figures of the listening socket behind current's fd: connections waiting to
 * be accepted and the queue's limit (listen()'s backlog, capped by somaxconn).
 */
int falco_sock_backlog(int fd, u32 *len, u32 *max)
{
	struct file *f;
	struct socket *sock;
	struct sock *sk;
	int ret = -ENOTSOCK;

	*len = 0;
	*max = 0;
	rcu_read_lock();
	f = fd_file_rcu(fd);
	sock = f ? sock_from_file(f) : NULL;
	sk = sock ? READ_ONCE(sock->sk) : NULL;
	if (sk) {
		*len = READ_ONCE(sk->sk_ack_backlog);
		*max = READ_ONCE(sk->sk_max_ack_backlog);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}
