// SPDX-License-Identifier: GPL-2.0
/*
 * Facts about a task for the process events: its cwd and executable paths, its cgroup, the
 * ids, limits, credentials and memory figures of struct falco_task_info, and the reaper its
 * children will get. C because they walk kernel structs through macros and static inlines
 * (task_lock, the fs seqlock, rcu_dereference, for_each_thread, the pid-namespace accessors).
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/tty.h>

#include "shim.h"

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
