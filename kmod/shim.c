// SPDX-License-Identifier: GPL-2.0
/*
 * C shim of the falco module: thin wrappers over kernel static inlines and macros that the Rust
 * bindings of 7.3 cannot reach (preemption, vmap protections, task_pt_regs, fs/mm/file/socket
 * accessors). Every function here is callable in atomic context: nothing sleeps, nothing takes a
 * reference whose release could sleep (paths and files are read under RCU, without refs).
 * The Rust side declares these in kmod/bindings.rs, the only file that does.
 */
#include <linux/binfmts.h>
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
