/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Facts about a task for the process events, computed as kmod/shim_task.c and
 * kmod/shim_file.c compute them: paths (a bounded d_path), the cgroup path (a bounded
 * kernfs walk), namespace pids, limits, credentials, memory figures, the executable's flags
 * and the reaper of an exiting task's children. Every walk is bounded; what does not fit the
 * bound is reported empty (or -1 for the reaper), never partial.
 */
#pragma once

/* Bytes of the path, args and env parameters (kmod/events.rs PATH_LIMIT, ARGS_LIMIT, ...). */
#define PATH_LIMIT 4096
#define ARGS_LIMIT 4096
#define CGROUPS_LIMIT 2048
/* Most argv/envp pointers walked for a failed execve (kmod MAX_ARGV). */
#define MAX_ARGV 128
/* Most steps (components and mount crossings) of a path walk, and levels of a cgroup walk. */
#define PATH_STEPS 48
#define CGROUP_DEPTH 32
/* Where a path is built backwards in r->tmp: it ends (NUL included) at tmp[PATH_END - 1]. */
#define PATH_END 4096
#define NAME_MASK 255

#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000
#define RLIMIT_NOFILE 7
#define PIDTYPE_TGID 1
#define PIDTYPE_PGID 2
#define SB_RDONLY 1
#define S_IMMUTABLE 8
#define KTIME_SEC_MAX 9223372036ULL
/* The kernel's default overflowuid/overflowgid (sysctl kernel.overflowuid). */
#define OVERFLOW_ID 65534

/* PPM_EXE_* (the execve `flags` parameter) and PPM_CL_CHILD_IN_PIDNS. */
#define EXE_WRITABLE (1 << 0)
#define EXE_UPPER_LAYER (1 << 1)
#define EXE_FROM_MEMFD (1 << 2)
#define EXE_LOWER_LAYER (1 << 3)
#define CL_CHILD_IN_PIDNS (1 << 29)

/* kernel_cap_t: struct { u64 val; } since 6.3, struct { u32 cap[2]; } before: the same 8
 * little-endian bytes, read raw at the field's offset. */
struct kernel_cap_struct___proc {
	u64 val;
} __attribute__((preserve_access_index));

struct cred___proc {
	struct kernel_cap_struct___proc cap_inheritable;
	struct kernel_cap_struct___proc cap_permitted;
	struct kernel_cap_struct___proc cap_effective;
} __attribute__((preserve_access_index));

#define CRED_CAPS(c, field)                                                                      \
	({                                                                                       \
		u64 __v = 0;                                                                     \
		bpf_probe_read_kernel(&__v, sizeof(__v),                                         \
				      (void *)(c) + bpf_core_field_offset(struct cred___proc, field)); \
		__v;                                                                             \
	})

/* Inode times before 6.11 (i_ctime_sec/i_ctime_nsec ...): timespec64 fields named i_ctime and
 * i_mtime (< 6.6), __i_ctime and i_mtime (6.6), __i_ctime and __i_mtime (6.7 to 6.10). */
struct timespec64 {
	s64 tv_sec;
	long tv_nsec;
} __attribute__((preserve_access_index));

struct inode___v5 {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___v66 {
	struct timespec64 __i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___v67 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

/* mm->rss_stat before 6.2: struct mm_rss_stat { atomic_long_t count[NR_MM_COUNTERS]; }. */
struct mm_struct___v5 {
	struct {
		struct {
			long counter;
		} count[4];
	} rss_stat;
} __attribute__((preserve_access_index));

/* bpf_task_pt_regs() exists since 5.15. */
enum bpf_func_id___proc { BPF_FUNC_task_pt_regs___proc = 175 };

/* Task facts, as struct falco_task_info of the module. */
struct task_info {
	s64 vtid, vpid, pgid, vpgid, ptid;
	u64 fdlimit, total_vm_kb, rss_kb, swap_kb;
	u32 tty, euid, egid, loginuid;
	u64 exe_ino, exe_ctime_ns, exe_mtime_ns;
	u64 cap_inheritable, cap_permitted, cap_effective;
	u64 arg_start, arg_end, env_start, env_end;
	u64 maj_flt, min_flt;
	u64 pidns_init_start;
};

/* Functions verified once, on their own, whatever the number of call sites (BTF global
 * functions): their arguments are scalars, the scratch slot rec_begin() took among them (its
 * index, r->slot), which they look up themselves. */
#define PROC_GLOBAL __attribute__((noinline))

/* task_info() results: in r->tmp, above the path building area. */
#define TI_AT 6144

/* A pointer as the plain number global functions take: a BTF pointer (a tracepoint argument,
 * current) may not be passed where the function's BTF says scalar. */
static __always_inline u64 as_scalar(const void *p)
{
	u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

static __always_inline struct scratch *slot_scratch(u32 slot)
{
	return bpf_map_lookup_elem(&scratch_map, &slot);
}

/* from_kuid_munged(&init_user_ns, id): the one id the initial map lacks reads as overflowuid. */
static __always_inline u32 munged(u32 id)
{
	return id == 0xffffffffu ? OVERFLOW_ID : id;
}

/* Slot of r->tmp through which forget() passes values. */
#define FORGET_AT (8192 - 8)

/*
 * `v` read back from map memory, where the verifier does not follow it: paths that computed
 * it differently (string lengths, loop exits) then look alike and are pruned, instead of
 * each being walked through the rest of the program (the verifier's 1M-instruction limit).
 * Callers bound the value again by masking, as for any offset.
 */
static __always_inline u32 forget(u8 *tmp, u32 v)
{
	volatile u32 *slot = (volatile u32 *)&tmp[FORGET_AT];
	*slot = v;
	return *slot;
}

/* v & mask, computed after a barrier so that clang cannot drop the mask on the strength of a
 * range check of its own that the verifier would not connect to this register. */
static __always_inline u32 masked(u32 v, u32 mask)
{
	asm volatile("" : "+r"(v));
	return v & mask;
}

/* Where the next parameter value goes, masked so that the verifier can bound it (the barrier
 * keeps clang from dropping the mask after a range check it made itself). */
static __always_inline u8 *rec_at(struct rec *r)
{
	u32 o = r->off;
	asm volatile("" : "+r"(o));
	return &r->b[o & OFF_MASK];
}

/* Forgets the record's write offset after a variable-length parameter. */
static __always_inline void forget_off(struct rec *r)
{
	r->off = forget(r->tmp, r->off);
}

/* Fixed-width parameters written through rec_at() (common.h's p_u* masks are folded away by
 * clang once the offset has gone through forget()). */
#define DEFINE_PUT_AT(name, type)                             \
	static __always_inline void name(struct rec *r, type v) \
	{                                                     \
		if (!rec_room(r)) {                           \
			rec_done(r, 0);                       \
			return;                               \
		}                                             \
		*(type *)rec_at(r) = v;                       \
		rec_done(r, sizeof(type));                    \
	}
DEFINE_PUT_AT(p8, u8)
DEFINE_PUT_AT(p32, u32)
DEFINE_PUT_AT(p64, u64)

/* A NUL-terminated user (or kernel) string of at most PATH_LIMIT bytes; empty when unreadable. */
static __always_inline void p_ustr_at(struct rec *r, const void *uptr)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	long n = bpf_probe_read_user_str(rec_at(r), PATH_LIMIT, uptr);
	rec_done(r, n > 0 ? (u32)n : 0);
}

static __always_inline void p_kstr_at(struct rec *r, const void *kptr)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	long n = bpf_probe_read_kernel_str(rec_at(r), PATH_LIMIT, kptr);
	rec_done(r, n > 0 ? (u32)n : 0);
}

/* The program's own filter for the sched_process_* programs: capture enabled and, when a test
 * tree is set, current in it (the module's sched probes check only `enabled`). */
static __always_inline bool sched_capturing(void)
{
	struct settings *s = settings();
	if (!s || !s->enabled)
		return false;
	if (s->tree_root && !in_tree(bpf_get_current_task_btf(), s->tree_root))
		return false;
	return true;
}

/* pid_nr_ns(pid, ns) for an ns of `level`: the pid's number there, 0 when not visible. */
static __always_inline s64 pid_nr_ns(struct pid *pid, u32 level, struct pid_namespace *ns)
{
	if (!pid || !ns)
		return 0;
	if (BPF_CORE_READ(pid, level) < level)
		return 0;
	struct upid u = {};
	if (bpf_probe_read_kernel(&u, sizeof(u), &pid->numbers[masked(level, 63)]) != 0)
		return 0;
	return u.ns == ns ? u.nr : 0;
}

/* task_active_pid_ns(t) and its level. */
static __always_inline struct pid_namespace *active_ns(struct task_struct *t, u32 *level)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	*level = 0;
	if (!p)
		return 0;
	u32 l = BPF_CORE_READ(p, level);
	struct upid u = {};
	if (bpf_probe_read_kernel(&u, sizeof(u), &p->numbers[masked(l, 63)]) != 0)
		return 0;
	*level = l;
	return u.ns;
}

static __always_inline u64 timespec_ns(s64 sec, u32 nsec)
{
	if ((u64)sec >= KTIME_SEC_MAX)
		return 0x7fffffffffffffffULL;
	return (u64)sec * 1000000000ULL + nsec;
}

/* falco_task_info() of kmod/shim_task.c for task `tp`, into this CPU's tmp at TI_AT. */
PROC_GLOBAL int proc_task_info(u32 slot, u64 tp)
{
	struct scratch *sc = slot_scratch(slot);
	if (!sc)
		return 0;
	struct task_struct *t = (void *)tp;
	struct task_info *o = (void *)&sc->tmp[TI_AT];
	__builtin_memset(o, 0, sizeof(*o));
	u32 level;
	struct pid_namespace *ns = active_ns(t, &level);
	struct pid *tgid = BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]);
	struct pid *pgrp = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	o->vtid = pid_nr_ns(BPF_CORE_READ(t, thread_pid), level, ns);
	o->vpid = pid_nr_ns(tgid, level, ns);
	o->vpgid = pid_nr_ns(pgrp, level, ns);
	if (pgrp) {
		struct upid u0 = {};
		if (bpf_probe_read_kernel(&u0, sizeof(u0), &pgrp->numbers[0]) == 0)
			o->pgid = u0.nr;
	}
	o->ptid = BPF_CORE_READ(t, real_parent, tgid);
	if (ns) {
		struct task_struct *reaper = BPF_CORE_READ(ns, child_reaper);
		if (reaper)
			o->pidns_init_start = BPF_CORE_READ(reaper, start_time);
	}
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	if (sig) {
		o->fdlimit = BPF_CORE_READ(sig, rlim[RLIMIT_NOFILE].rlim_cur);
		struct tty_struct *tty = BPF_CORE_READ(sig, tty);
		struct tty_driver *drv = tty ? BPF_CORE_READ(tty, driver) : 0;
		if (drv) {
			u32 major = BPF_CORE_READ(drv, major);
			u32 minor = BPF_CORE_READ(drv, minor_start) + BPF_CORE_READ(tty, index);
			o->tty = encode_dev((major << 20) | (minor & 0xfffff));
		}
	}
	const struct cred *c = BPF_CORE_READ(t, cred);
	if (c) {
		o->euid = munged(BPF_CORE_READ(c, euid.val));
		o->egid = munged(BPF_CORE_READ(c, egid.val));
		o->cap_inheritable = CRED_CAPS(c, cap_inheritable);
		o->cap_permitted = CRED_CAPS(c, cap_permitted);
		o->cap_effective = CRED_CAPS(c, cap_effective);
	}
	if (bpf_core_field_exists(t->loginuid))
		o->loginuid = munged(BPF_CORE_READ(t, loginuid.val));
	else
		o->loginuid = 0xffffffffu;
	o->maj_flt = BPF_CORE_READ(t, maj_flt);
	o->min_flt = BPF_CORE_READ(t, min_flt);
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	if (!mm)
		return 0;
	o->arg_start = BPF_CORE_READ(mm, arg_start);
	o->arg_end = BPF_CORE_READ(mm, arg_end);
	o->env_start = BPF_CORE_READ(mm, env_start);
	o->env_end = BPF_CORE_READ(mm, env_end);
	o->total_vm_kb = BPF_CORE_READ(mm, total_vm) << 2;
	/* get_mm_counter(): percpu_counter_read_positive() of MM_FILEPAGES, MM_ANONPAGES,
	 * MM_SWAPENTS, MM_SHMEMPAGES. */
	s64 file, anon, swap, shmem;
	struct mm_struct___v5 *mm5 = (void *)mm;
	if (bpf_core_field_exists(mm5->rss_stat.count)) {
		file = BPF_CORE_READ(mm5, rss_stat.count[0].counter);
		anon = BPF_CORE_READ(mm5, rss_stat.count[1].counter);
		swap = BPF_CORE_READ(mm5, rss_stat.count[2].counter);
		shmem = BPF_CORE_READ(mm5, rss_stat.count[3].counter);
	} else {
		file = BPF_CORE_READ(mm, rss_stat[0].count);
		anon = BPF_CORE_READ(mm, rss_stat[1].count);
		swap = BPF_CORE_READ(mm, rss_stat[2].count);
		shmem = BPF_CORE_READ(mm, rss_stat[3].count);
	}
	o->rss_kb = (u64)((file > 0 ? file : 0) + (anon > 0 ? anon : 0) + (shmem > 0 ? shmem : 0)) << 2;
	o->swap_kb = (u64)(swap > 0 ? swap : 0) << 2;
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	struct inode *ino = exe ? BPF_CORE_READ(exe, f_inode) : 0;
	if (ino) {
		o->exe_ino = BPF_CORE_READ(ino, i_ino);
		struct inode___v5 *i5 = (void *)ino;
		struct inode___v66 *i66 = (void *)ino;
		struct inode___v67 *i67 = (void *)ino;
		if (bpf_core_field_exists(ino->i_ctime_sec)) {
			/* inode_get_ctime_nsec(): bit 31 is I_CTIME_QUERIED (multigrain timestamps). */
			o->exe_ctime_ns = timespec_ns(BPF_CORE_READ(ino, i_ctime_sec),
						      BPF_CORE_READ(ino, i_ctime_nsec) & ~(1u << 31));
			o->exe_mtime_ns = timespec_ns(BPF_CORE_READ(ino, i_mtime_sec), BPF_CORE_READ(ino, i_mtime_nsec));
		} else if (bpf_core_field_exists(i67->__i_mtime)) {
			o->exe_ctime_ns = timespec_ns(BPF_CORE_READ(i67, __i_ctime.tv_sec),
						      BPF_CORE_READ(i67, __i_ctime.tv_nsec) & ~(1u << 31));
			o->exe_mtime_ns = timespec_ns(BPF_CORE_READ(i67, __i_mtime.tv_sec), BPF_CORE_READ(i67, __i_mtime.tv_nsec));
		} else if (bpf_core_field_exists(i66->__i_ctime)) {
			o->exe_ctime_ns = timespec_ns(BPF_CORE_READ(i66, __i_ctime.tv_sec), BPF_CORE_READ(i66, __i_ctime.tv_nsec));
			o->exe_mtime_ns = timespec_ns(BPF_CORE_READ(i66, i_mtime.tv_sec), BPF_CORE_READ(i66, i_mtime.tv_nsec));
		} else {
			o->exe_ctime_ns = timespec_ns(BPF_CORE_READ(i5, i_ctime.tv_sec), BPF_CORE_READ(i5, i_ctime.tv_nsec));
			o->exe_mtime_ns = timespec_ns(BPF_CORE_READ(i5, i_mtime.tv_sec), BPF_CORE_READ(i5, i_mtime.tv_nsec));
		}
	}
	return 0;
}

/* Prepends `len` bytes of kernel memory `src` before tmp[*pos]; false when they do not fit. */
static __always_inline bool prepend(u8 *tmp, u32 *pos, const void *src, u32 len)
{
	u32 p = *pos;
	if (len > NAME_MASK || p < len + 1)
		return false;
	p -= len;
	if (len && bpf_probe_read_kernel(&tmp[masked(p, PATH_END - 1)], masked(len, NAME_MASK), src) != 0)
		return false;
	*pos = p;
	return true;
}

static __always_inline bool prepend_char(u8 *tmp, u32 *pos, u8 c)
{
	u32 p = *pos;
	if (p < 1)
		return false;
	p--;
	tmp[masked(p, PATH_END - 1)] = c;
	*pos = p;
	return true;
}

static const char deleted_suffix[] = " (deleted)";

/*
 * d_path(path) as current would compute it (relative to current's root), built backwards in
 * tmp; returns the start of the NUL-terminated string (it ends at tmp[PATH_END - 1]) or
 * PATH_END when the path is unknown, longer than PATH_LIMIT or deeper than PATH_STEPS.
 */
PROC_GLOBAL u32 proc_build_path(u32 slot, u64 vfsp, u64 dp)
{
	struct scratch *sc = slot_scratch(slot);
	struct vfsmount *vfs = (void *)vfsp;
	struct dentry *d = (void *)dp;
	if (!sc || !vfs || !d)
		return PATH_END;
	u8 *tmp = sc->tmp;
	struct task_struct *cur = bpf_get_current_task_btf();
	struct fs_struct *fs = BPF_CORE_READ(cur, fs);
	if (!fs)
		return PATH_END;
	struct dentry *root_d = BPF_CORE_READ(fs, root.dentry);
	struct vfsmount *root_mnt = BPF_CORE_READ(fs, root.mnt);
	u32 pos = PATH_END - 1;
	tmp[pos] = 0;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	const struct dentry_operations *ops = BPF_CORE_READ(d, d_op);
	struct qstr name = BPF_CORE_READ(d, d_name);
	/* Dentries with a d_dname (memfd and other pseudo files): simple_dname()'s
	 * "/<name> (deleted)", the only form an executable or a directory can have. */
	if (ops && BPF_CORE_READ(ops, d_dname) && (d != parent || d != BPF_CORE_READ(vfs, mnt_root))) {
		if (!prepend(tmp, &pos, deleted_suffix, sizeof(deleted_suffix) - 1) ||
		    !prepend(tmp, &pos, name.name, name.len) || !prepend_char(tmp, &pos, '/'))
			return PATH_END;
		return pos;
	}
	/* d_unlinked(): unhashed and not a root. */
	if (!BPF_CORE_READ(d, d_hash.pprev) && d != parent) {
		if (!prepend(tmp, &pos, deleted_suffix, sizeof(deleted_suffix) - 1))
			return PATH_END;
	}
	u32 tail = pos;
	struct mount *mnt = (void *)vfs - bpf_core_field_offset(struct mount, mnt);
	bool done = false;
	for (int i = 0; i < PATH_STEPS; i++) {
		pos = forget(tmp, pos);
		if (d == root_d && vfs == root_mnt) {
			done = true;
			break;
		}
		struct dentry *mnt_root = BPF_CORE_READ(vfs, mnt_root);
		parent = BPF_CORE_READ(d, d_parent);
		if (d == mnt_root || d == parent) {
			struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
			if (d != mnt_root || mnt == mp || !mp) {
				/* The global root, a detached mount or an escaped dentry: d_path keeps
				 * what it has. */
				done = true;
				break;
			}
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mp;
			vfs = (void *)mp + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		name = BPF_CORE_READ(d, d_name);
		if (!prepend(tmp, &pos, name.name, name.len) || !prepend_char(tmp, &pos, '/'))
			return PATH_END;
		d = parent;
	}
	if (!done)
		return PATH_END;
	if (pos == tail && !prepend_char(tmp, &pos, '/'))
		return PATH_END;
	return pos;
}

/* Copies the string tmp[pos..PATH_END) into the record as the next parameter, after
 * `strip_deleted` removed a " (deleted)" suffix if asked; empty when pos is PATH_END. */
static __always_inline void p_built(struct rec *r, u32 pos, bool strip_deleted)
{
	if (!rec_room(r) || pos >= PATH_END) {
		rec_done(r, 0);
		return;
	}
	u32 n = PATH_END - pos;
	u8 *dst = rec_at(r);
	if (n > PATH_LIMIT || n == 0 ||
	    bpf_probe_read_kernel(dst, masked(n, 2 * PATH_LIMIT - 1), &r->tmp[masked(pos, PATH_END - 1)]) != 0) {
		rec_done(r, 0);
		return;
	}
	const u32 sl = sizeof(deleted_suffix) - 1;
	if (strip_deleted && n > sl + 1) {
		/* kmod strip_deleted(): the suffix sits just before the NUL. */
		u32 at = PATH_END - 1 - sl;
		bool same = true;
		for (u32 i = 0; i < sizeof(deleted_suffix) - 1; i++) {
			if (r->tmp[masked(at + i, PATH_END - 1)] != (u8)deleted_suffix[i]) {
				same = false;
				break;
			}
		}
		if (same) {
			dst[masked(n - 1 - sl, 2 * PATH_LIMIT - 1)] = 0;
			n -= sl;
		}
	}
	rec_done(r, n);
}

/* The working directory of task t (kmod falco_task_cwd()). */
static __always_inline void p_cwd(struct rec *r, struct task_struct *t)
{
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	u32 pos = PATH_END;
	if (fs)
		pos = proc_build_path(r->slot, (u64)BPF_CORE_READ(fs, pwd.mnt), (u64)BPF_CORE_READ(fs, pwd.dentry));
	p_built(r, pos, false);
}

/* The executable of task t with d_path's " (deleted)" removed (kmod falco_task_exe() and
 * strip_deleted(): trusted_exepath). */
static __always_inline void p_exepath(struct rec *r, struct task_struct *t)
{
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	u32 pos = PATH_END;
	if (exe)
		pos = proc_build_path(r->slot, (u64)BPF_CORE_READ(exe, f_path.mnt), (u64)BPF_CORE_READ(exe, f_path.dentry));
	p_built(r, pos, true);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	struct kernfs_node___old *old = (void *)kn;
	return BPF_CORE_READ(old, parent);
}

/* cgroup_path() of t's cgroup in the default hierarchy, relative to current's cgroup
 * namespace, built backwards in tmp; returns its start or PATH_END. */
PROC_GLOBAL u32 proc_build_cgroup(u32 slot, u64 tp)
{
	struct scratch *sc = slot_scratch(slot);
	struct task_struct *t = (void *)tp;
	if (!sc)
		return PATH_END;
	u8 *tmp = sc->tmp;
	struct kernfs_node *kn = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn);
	if (!kn)
		return PATH_END;
	struct task_struct *cur = bpf_get_current_task_btf();
	struct kernfs_node *top = BPF_CORE_READ(cur, nsproxy, cgroup_ns, root_cset, dfl_cgrp, kn);
	u32 pos = PATH_END - 1;
	tmp[pos] = 0;
	u32 tail = pos;
	bool done = false;
	for (int i = 0; i < CGROUP_DEPTH; i++) {
		pos = forget(tmp, pos);
		struct kernfs_node *parent = kn_parent(kn);
		if (kn == top || !parent) {
			done = true;
			break;
		}
		const char *name = BPF_CORE_READ(kn, name);
		/* A kernfs name is at most NAME_MAX bytes: read it into place, then shift. */
		u8 *nb = &tmp[PATH_END];
		long n = bpf_probe_read_kernel_str(nb, NAME_MASK + 1, name);
		if (n <= 1)
			return PATH_END;
		u32 len = (u32)(n - 1);
		if (!prepend(tmp, &pos, nb, len) || !prepend_char(tmp, &pos, '/'))
			return PATH_END;
		kn = parent;
	}
	if (!done)
		return PATH_END;
	if (pos == tail && !prepend_char(tmp, &pos, '/'))
		return PATH_END;
	return pos;
}

/* The cgroups parameter (kmod cgroups()): `name=path\0` for cpuset, cpu, cpuacct, io, memory
 * and pids, all with the task's default-hierarchy path, as many as fit CGROUPS_LIMIT. */
static __always_inline void p_cgroups(struct rec *r, struct task_struct *t)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	u32 pos = proc_build_cgroup(r->slot, as_scalar(t));
	u32 plen = PATH_END - pos;
	/* kmod: the first entry's path gets CGROUPS_LIMIT - 7 bytes. */
	if (pos >= PATH_END || plen == 0 || plen > CGROUPS_LIMIT - 7) {
		rec_done(r, 0);
		return;
	}
	u32 base = r->off;
	u32 off = 0;
#define CG_ENTRY(lit)                                                                      \
	do {                                                                               \
		u32 nl = sizeof(lit) - 1;                                                  \
		if (off + nl + 1 + plen > CGROUPS_LIMIT)                                   \
			goto out;                                                          \
		__builtin_memcpy(&r->b[masked(base + off, OFF_MASK)], lit "=", sizeof(lit)); \
		off += nl + 1;                                                             \
		if (bpf_probe_read_kernel(&r->b[masked(base + off, OFF_MASK)], masked(plen, 2 * CGROUPS_LIMIT - 1), \
					  &r->tmp[masked(pos, PATH_END - 1)]) != 0) {      \
			off = 0;                                                           \
			goto out;                                                          \
		}                                                                          \
		off += plen;                                                               \
	} while (0)
	CG_ENTRY("cpuset");
	CG_ENTRY("cpu");
	CG_ENTRY("cpuacct");
	CG_ENTRY("io");
	CG_ENTRY("memory");
	CG_ENTRY("pids");
#undef CG_ENTRY
out:
	rec_done(r, off);
}

/* `[start, end)` of current's memory, at most `max` bytes (kmod user_range()). */
static __always_inline void p_urange(struct rec *r, u64 start, u64 end, u32 max)
{
	if (!rec_room(r) || end <= start) {
		rec_done(r, 0);
		return;
	}
	u64 n = end - start;
	if (n > max)
		n = max;
	if (n == 0 || n > ARGS_LIMIT ||
	    bpf_probe_read_user(rec_at(r), masked((u32)n, 2 * ARGS_LIMIT - 1), (void *)start) != 0) {
		rec_done(r, 0);
		return;
	}
	rec_done(r, (u32)n);
}

/* The first string of the argument area (kmod mm_exe()); returns its length with the NUL. */
static __always_inline u32 p_mm_exe(struct rec *r, struct task_info *ti)
{
	if (!rec_room(r) || ti->arg_end <= ti->arg_start) {
		rec_done(r, 0);
		return 0;
	}
	u64 lim = ti->arg_end - ti->arg_start;
	if (lim > PATH_LIMIT)
		lim = PATH_LIMIT;
	long n = bpf_probe_read_user_str(rec_at(r), masked((u32)lim, 2 * PATH_LIMIT - 1),
					 (void *)ti->arg_start);
	u32 len = n > 0 ? (u32)n : 0;
	rec_done(r, len);
	return len;
}

/* argv[from..to) of a user array of string pointers, NUL-separated, in at most ARGS_LIMIT
 * bytes written at b[at...] (kmod user_argv()); returns the bytes written. */
PROC_GLOBAL u32 proc_put_argv(u32 slot, u32 at, u64 argv, u32 from, u32 to)
{
	struct scratch *sc = slot_scratch(slot);
	u32 off = 0;
	if (!sc || !argv)
		return 0;
	u8 *b = sc->rec;
	for (u32 i = 0; i < MAX_ARGV; i++) {
		u32 k = from + i;
		if (k >= to)
			break;
		u64 p = 0;
		if (bpf_probe_read_user(&p, sizeof(p), (void *)(argv + (u64)k * 8)) != 0)
			break;
		if (!p || off >= ARGS_LIMIT)
			break;
		long n = bpf_probe_read_user_str(&b[masked(at + off, OFF_MASK)], masked(ARGS_LIMIT - off, 2 * ARGS_LIMIT - 1),
						 (void *)p);
		if (n <= 0)
			break;
		off += (u32)n;
	}
	return off;
}

static __always_inline void p_argv(struct rec *r, u64 argv, u32 from, u32 to)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	rec_done(r, proc_put_argv(r->slot, r->off, argv, from, to));
}

/* The comm of task t as a NUL-terminated string. */
static __always_inline void p_comm(struct rec *r, struct task_struct *t)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	long n = bpf_probe_read_kernel_str(rec_at(r), 16, &t->comm[0]);
	rec_done(r, n > 0 ? (u32)n : 0);
}

/* PPM_EXE_* flags of current's executable (kmod falco_exe_flags()). */
PROC_GLOBAL u32 proc_exe_flags(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	if (!exe)
		return 0;
	struct inode *inode = BPF_CORE_READ(exe, f_inode);
	if (!inode)
		return 0;
	u32 flags = 0;
	const struct cred *c = BPF_CORE_READ(t, cred);
	u32 fsuid = BPF_CORE_READ(c, fsuid.val), fsgid = BPF_CORE_READ(c, fsgid.val);
	u64 caps = CRED_CAPS(c, cap_effective);
	u32 iuid = BPF_CORE_READ(inode, i_uid.val), igid = BPF_CORE_READ(inode, i_gid.val);
	u32 mode = BPF_CORE_READ(inode, i_mode);
	bool perm;
	/* inode_permission(MAY_WRITE): read-only superblock, immutable, then the mode bits
	 * (generic_permission) or CAP_DAC_OVERRIDE. */
	if ((BPF_CORE_READ(inode, i_sb, s_flags) & SB_RDONLY) && (mode & 0170000) == 0100000)
		perm = false;
	else if (BPF_CORE_READ(inode, i_flags) & S_IMMUTABLE)
		perm = false;
	else if (fsuid == iuid)
		perm = mode & 0200;
	else if (fsgid == igid)
		perm = mode & 0020;
	else
		perm = mode & 0002;
	if (!perm && (caps & (1ULL << 1)))
		perm = true;
	if (perm || fsuid == iuid || (caps & (1ULL << 3)))
		flags |= EXE_WRITABLE;
	int layer = file_layer(exe);
	if (layer == 1)
		flags |= EXE_UPPER_LAYER;
	else if (layer == 2)
		flags |= EXE_LOWER_LAYER;
	struct dentry *d = BPF_CORE_READ(exe, f_path.dentry);
	if (d && d == BPF_CORE_READ(d, d_parent)) {
		char pre[6] = {};
		const unsigned char *nm = BPF_CORE_READ(d, d_name.name);
		if (bpf_probe_read_kernel(pre, sizeof(pre), nm) == 0 && pre[0] == 'm' && pre[1] == 'e' &&
		    pre[2] == 'm' && pre[3] == 'f' && pre[4] == 'd' && pre[5] == ':')
			flags |= EXE_FROM_MEMFD;
	}
	return flags;
}

/* (CLONE_* to PPM_CL_* is flags.h's clone_flags().) */

#define NR_CLONE 56
#define NR_FORK 57
#define NR_VFORK 58
#define NR_EXECVE 59
#define NR_EXECVEAT 322
#define NR_CLONE3 435

/* The syscall current is in and its first argument (kmod falco_syscall_nr()): -1 for a kernel
 * thread. Before bpf_task_pt_regs() (5.15) the registers are found as x86_64's task_pt_regs()
 * finds them, at the top of the task's stack (THREAD_SIZE 16 KiB, no stack padding: a KASAN
 * kernel, with 32 KiB stacks, or one with FRED padding, reads them wrong there). */
static __always_inline long current_syscall(u64 *arg0)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	*arg0 = 0;
	if (cur->flags & PF_KTHREAD)
		return -1;
	struct pt_regs *regs;
	if (bpf_core_enum_value_exists(enum bpf_func_id___proc, BPF_FUNC_task_pt_regs___proc))
		regs = (struct pt_regs *)bpf_task_pt_regs(cur);
	else
		regs = (struct pt_regs *)(BPF_CORE_READ(cur, stack) + 16384 - sizeof(struct pt_regs));
	*arg0 = BPF_CORE_READ(regs, di);
	return BPF_CORE_READ(regs, orig_ax);
}

/* The clone flags a fork-family syscall used (kmod clone_flags_of()). */
static __always_inline u64 clone_flags_of(long id, u64 arg0)
{
	switch (id) {
	case NR_CLONE:
		return arg0;
	case NR_CLONE3: {
		u64 f = 0;
		if (arg0 && bpf_probe_read_user(&f, sizeof(f), (void *)arg0) == 0)
			return f;
		return 0;
	}
	case NR_VFORK:
		return 0x100 | 0x4000;
	default:
		return 0;
	}
}

/* A thread of t's group that is not exiting: its pid, 0 when none, -1 when the bounded walk
 * gave up (kmod alive_thread()/reaper_in_group()). */
PROC_GLOBAL long proc_alive_thread(u64 tp)
{
	struct task_struct *t = (void *)tp;
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	if (!sig)
		return 0;
	struct list_head *head = (void *)sig + bpf_core_field_offset(struct signal_struct, thread_head);
	struct list_head *node = BPF_CORE_READ(sig, thread_head.next);
	u64 toff = bpf_core_field_offset(struct task_struct, thread_node);
	for (int i = 0; i < 64; i++) {
		if (!node || node == head)
			return 0;
		struct task_struct *it = (void *)node - toff;
		if (!(BPF_CORE_READ(it, flags) & PF_EXITING))
			return BPF_CORE_READ(it, pid);
		node = BPF_CORE_READ(node, next);
	}
	return -1;
}

/* The thread that will adopt t's children (kmod falco_reaper_tid()). */
PROC_GLOBAL long proc_reaper_tid(u64 tp)
{
	struct task_struct *t = (void *)tp;
	struct list_head *children = (void *)t + bpf_core_field_offset(struct task_struct, children);
	if (BPF_CORE_READ(t, children.next) == children)
		return 0;
	s64 ret = proc_alive_thread((u64)t);
	if (ret != 0)
		return ret;
	u32 level;
	struct pid_namespace *ns = active_ns(t, &level);
	struct task_struct *reaper = ns ? BPF_CORE_READ(ns, child_reaper) : 0;
	if (!reaper || reaper == t)
		return 0;
	ret = BPF_CORE_READ(reaper, pid);
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	if (!sig || !BPF_CORE_READ_BITFIELD_PROBED(sig, has_child_subreaper))
		return ret;
	struct task_struct *p = BPF_CORE_READ(t, real_parent);
	for (int n = 0; n < 64; n++) {
		if (!p || BPF_CORE_READ(p, pid) == 0 || p == reaper)
			return ret;
		struct pid *pp = BPF_CORE_READ(p, thread_pid);
		if (!pp || BPF_CORE_READ(pp, level) != level)
			return ret;
		struct signal_struct *ps = BPF_CORE_READ(p, signal);
		if (ps && BPF_CORE_READ_BITFIELD_PROBED(ps, is_child_subreaper)) {
			s64 a = proc_alive_thread((u64)p);
			if (a != 0)
				return a;
		}
		p = BPF_CORE_READ(p, real_parent);
	}
	return -1;
}
