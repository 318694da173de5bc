/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Processes: execve/execveat, clone/fork/vfork/clone3 and the sched_process_* programs, with
 * the events and parameters of kmod/events.rs (exec_event, clone_event, proc_common,
 * process_fork, process_exec, process_exit):
 * - a failed exec is reported by x_execve/x_execveat (argv and envp read from the caller's
 *   arrays); a successful one by sched_process_exec, always as PPME_SYSCALL_EXECVE_19_X with
 *   bprm->filename, from the new image's argument and environment areas;
 * - the parent's (or a failed) clone-family event by x_clone/x_fork/x_vfork/x_clone3; the
 *   child's (res 0) by sched_process_fork, in the parent's context, with the child's tid in the
 *   header and the clone flags of the parent's syscall;
 * - procexit by sched_process_exit.
 *
 * Differences from the module, where BPF cannot do what its C shim does:
 * - Paths (cwd, trusted_exepath) come from a bounded d_path walk (build_path in proc.h, at
 *   most 48 components and mount crossings) instead of d_path(): a deeper path is reported
 *   empty, as the module reports a path longer than PATH_MAX; the mount and fs seqlocks are not
 *   taken, so a path renamed during the walk may read inconsistently. A dentry with a d_dname
 *   operation is always rendered as simple_dname() does ("/<name> (deleted)"): that is what
 *   memfd and other anonymous files, the only such files an executable can be, give.
 * - cgroups: the kernfs walk stops at 32 levels; a deeper (or longer than 2041 bytes) cgroup
 *   path gives an empty parameter where the module gives a truncated one. A task whose cgroup
 *   is outside current's cgroup namespace gets its path from the hierarchy root (the module,
 *   through kernfs_path_from_node, gives a "/../.." relative path).
 * - The WRITABLE exe flag emulates inode_permission(MAY_WRITE) with the mode bits, the
 *   read-only superblock and immutable checks and CAP_DAC_OVERRIDE only: supplementary groups,
 *   POSIX ACLs, LSMs and id-mapped mounts are not consulted; CAP_FOWNER is checked in the
 *   credential's own user namespace without the uid-mapping test. (For root, and for an owner,
 *   the result is the module's.)
 * - The overlay layer flags come from file.h's file_layer(): the running kernel's struct
 *   ovl_inode layout when its BTF has it, else the module's (the upper dentry right after the
 *   inode); the module itself reports no layer on kernels other than 7.3.
 * - from_kuid_munged(): an unmapped id (-1) reads as 65534, the default overflowuid; a system
 *   that changed kernel.overflowuid gets 65534 here and its value from the module.
 * - sched_process_fork finds the parent's syscall with bpf_task_pt_regs(); before 5.15, which
 *   lacks it, at the top of the task's stack as x86_64's task_pt_regs() does with 16 KiB stacks
 *   and no stack padding (a KASAN or FRED kernel older than 5.15 would read the wrong
 *   registers there, and report the child as a clone with no flags).
 * - Inode times, mm counters and capabilities are read through CO-RE with fallbacks for the
 *   layouts of older kernels (before 6.11, 6.2 and 6.3): only this 6.18 host is tested.
 * - The sched_process_* programs also honour the test tree (Options::only_tree_of), which the
 *   module does not have.
 *
 * The helpers of proc.h that walk (paths, cgroups, argv, threads, parents) are BTF global
 * functions, verified once each: inlined, every call site multiplied the verifier's work
 * (x_execve reached 590k processed instructions; now each program stays under 40k).
 */
#pragma once

#include "proc.h"

/* kmod proc_common(): res, exe, args, tid, pid, ptid, cwd, fdlimit, pgft_maj, pgft_min,
 * vm_size, vm_rss, vm_swap, comm, cgroups. `failed`: exe and args from the user array `argv`
 * (a failed exec), else from the mm's argument area. */
static __always_inline void proc_common(struct rec *r, s64 res, struct task_struct *t, struct task_info *ti,
					bool failed, u64 argv)
{
	p64(r, (u64)res);
	if (failed) {
		p_argv(r, argv, 0, 1);
		forget_off(r);
		p_argv(r, argv, 1, MAX_ARGV);
		forget_off(r);
	} else {
		u32 exe_len = forget(r->tmp, p_mm_exe(r, ti)) & (PATH_LIMIT * 2 - 1);
		forget_off(r);
		p_urange(r, ti->arg_start + exe_len, ti->arg_end, ARGS_LIMIT);
		forget_off(r);
	}
	p64(r, (u64)BPF_CORE_READ(t, pid));
	p64(r, (u64)BPF_CORE_READ(t, tgid));
	p64(r, (u64)ti->ptid);
	p_cwd(r, t);
	forget_off(r);
	p64(r, ti->fdlimit);
	p64(r, ti->maj_flt);
	p64(r, ti->min_flt);
	p32(r, (u32)ti->total_vm_kb);
	p32(r, (u32)ti->rss_kb);
	p32(r, (u32)ti->swap_kb);
	p_comm(r, t);
	forget_off(r);
	p_cgroups(r, t);
	forget_off(r);
}

/* kmod exec_event(): the execve/execveat exit event of current. `failed`: the syscall failed
 * and argv/envp are its user arrays, `fname` its user path; otherwise the new image is
 * installed and `fname` is bprm->filename. */
static __always_inline void exec_event(long id, s64 res, bool failed, u64 argv, u64 envp, const void *fname)
{
	struct rec r;
	bool at = id == NR_EXECVEAT;
	u32 type = at ? PPME_SYSCALL_EXECVEAT_X : PPME_SYSCALL_EXECVE_19_X;
	u32 np = at ? PPME_SYSCALL_EXECVEAT_X_NP : PPME_SYSCALL_EXECVE_19_X_NP;
	if (!rec_begin(&r, type, np, failed ? DROP_SYSCALL_EXIT : DROP_PROCESS))
		return;
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_info *ti = (void *)&r.tmp[TI_AT];
	proc_task_info(r.slot, as_scalar(t));
	/* A failed exec leaves the old image: its flags describe the caller's executable. */
	u32 flags = proc_exe_flags();
	proc_common(&r, res, t, ti, failed, argv);
	if (failed)
		p_argv(&r, envp, 0, MAX_ARGV);
	else
		p_urange(&r, ti->env_start, ti->env_end, ARGS_LIMIT);
	forget_off(&r);
	p32(&r, ti->tty);
	p64(&r, (u64)ti->vpgid);
	p32(&r, ti->loginuid);
	p32(&r, flags);
	p64(&r, ti->cap_inheritable);
	p64(&r, ti->cap_permitted);
	p64(&r, ti->cap_effective);
	p64(&r, ti->exe_ino);
	p64(&r, ti->exe_ctime_ns);
	p64(&r, ti->exe_mtime_ns);
	p32(&r, ti->euid);
	p_exepath(&r, t);
	forget_off(&r);
	p64(&r, (u64)ti->pgid);
	p32(&r, ti->egid);
	if (!at) {
		if (failed)
			p_ustr_at(&r, fname);
		else
			p_kstr_at(&r, fname);
	}
	rec_submit(&r);
}

/* kmod clone_event(): the clone-family exit event of task t (the parent when res != 0, the
 * child when 0). */
static __always_inline void clone_event(long id, s64 res, struct task_struct *t, u64 cflags, u32 cat)
{
	struct rec r;
	u32 type, np;
	switch (id) {
	case NR_FORK:
		type = PPME_SYSCALL_FORK_20_X;
		np = PPME_SYSCALL_FORK_20_X_NP;
		break;
	case NR_VFORK:
		type = PPME_SYSCALL_VFORK_20_X;
		np = PPME_SYSCALL_VFORK_20_X_NP;
		break;
	case NR_CLONE3:
		type = PPME_SYSCALL_CLONE3_X;
		np = PPME_SYSCALL_CLONE3_X_NP;
		break;
	default:
		type = PPME_SYSCALL_CLONE_20_X;
		np = PPME_SYSCALL_CLONE_20_X_NP;
	}
	if (!rec_begin(&r, type, np, cat))
		return;
	struct task_info *ti = (void *)&r.tmp[TI_AT];
	proc_task_info(r.slot, as_scalar(t));
	s64 tid = BPF_CORE_READ(t, pid);
	r.tid = (u64)tid;
	u32 pflags = clone_flags(cflags);
	if (ti->vtid != tid)
		pflags |= CL_CHILD_IN_PIDNS;
	proc_common(&r, res, t, ti, false, 0);
	p32(&r, pflags);
	p32(&r, ti->euid);
	p32(&r, ti->egid);
	p64(&r, (u64)ti->vtid);
	p64(&r, (u64)ti->vpid);
	/* pidns_init_start_ts: only the child's event carries it, as in libs. */
	p64(&r, res == 0 ? ti->pidns_init_start : 0);
	rec_submit(&r);
}

FILLER_EXIT(execve)
{
	/* Success is reported from sched_process_exec, where the new image and the kernel's copy
	 * of the file name are at hand; here only failures. */
	if (ret < 0)
		exec_event(NR_EXECVE, ret, true, arg(regs, 1), arg(regs, 2), (void *)arg(regs, 0));
	return 0;
}

FILLER_EXIT(execveat)
{
	if (ret < 0)
		exec_event(NR_EXECVEAT, ret, true, arg(regs, 2), arg(regs, 3), 0);
	return 0;
}

/* The child's event comes from sched_process_fork; here the parent's (or a failure). */
#define CLONE_FILLER(name, NR)                                                                   \
	FILLER_EXIT(name)                                                                        \
	{                                                                                        \
		if (ret != 0)                                                                    \
			clone_event(NR, ret, bpf_get_current_task_btf(), clone_flags_of(NR, arg(regs, 0)), \
				    DROP_SYSCALL_EXIT);                                          \
		return 0;                                                                        \
	}
CLONE_FILLER(clone, NR_CLONE)
CLONE_FILLER(fork, NR_FORK)
CLONE_FILLER(vfork, NR_VFORK)
CLONE_FILLER(clone3, NR_CLONE3)
#undef CLONE_FILLER

/*
 * The sched_process_* programs. Each attach point has a first program and a fallback (see
 * mark_running in common.h); both tail-call the one program that does the work, so it is
 * verified once. A tail call keeps the caller's context, so the body sees the same arguments.
 */
#define BODY_TABLE(name)                        \
	struct {                                \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY); \
		__uint(max_entries, 1);         \
		__type(key, u32);               \
		__type(value, u32);             \
	} name SEC(".maps")
BODY_TABLE(fork_body_prog);
#ifndef FALCO_CLASSIC_TP
BODY_TABLE(exec_body_prog);
BODY_TABLE(pexit_body_prog);
#endif

#define SCHED_PROGRAMS(tp, TP, table, ...)                                  \
	SEC("tp_btf/" #tp) int BPF_PROG(tp, __VA_ARGS__)                    \
	{                                                                   \
		mark_running(TP);                                           \
		bpf_tail_call(ctx, &table, 0);                              \
		return 0;                                                   \
	}                                                                   \
	SEC("tp_btf/" #tp) int BPF_PROG(tp##_b, __VA_ARGS__)                \
	{                                                                   \
		if (first_missed(TP))                                       \
			bpf_tail_call(ctx, &table, 0);                      \
		return 0;                                                   \
	}

SCHED_PROGRAMS(sched_process_fork, TP_FORK, fork_body_prog, struct task_struct *parent,
	       struct task_struct *child)
#ifndef FALCO_CLASSIC_TP
SCHED_PROGRAMS(sched_process_exec, TP_EXEC, exec_body_prog, struct task_struct *p, int old_pid,
	       struct linux_binprm *bprm)
SCHED_PROGRAMS(sched_process_exit, TP_PEXIT, pexit_body_prog, struct task_struct *p,
	       bool group_dead)
#endif
#undef SCHED_PROGRAMS
#undef BODY_TABLE

/* kmod process_fork(): the child's clone event (res 0), from the parent's context. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork_body, struct task_struct *parent, struct task_struct *child)
{
	if (!sched_capturing())
		return 0;
	u64 arg0;
	long id = current_syscall(&arg0);
	if (id < 0)
		id = NR_CLONE;
	clone_event(id, 0, child, clone_flags_of(id, arg0), DROP_PROCESS);
	return 0;
}

/* kmod process_exit(): procexit of the exiting task p (current). */
static __always_inline int pexit_event(struct task_struct *p)
{
	if (!sched_capturing())
		return 0;
	struct rec r;
	if (!REC_BEGIN(&r, PPME_PROCEXIT_1_E, DROP_PROCESS))
		return 0;
	u32 code = (u32)BPF_CORE_READ(p, exit_code);
	s64 reaper = proc_reaper_tid(as_scalar(p));
	r.tid = (u64)BPF_CORE_READ(p, pid);
	p64(&r, (u64)code);
	p64(&r, (u64)((code >> 8) & 0xff));
	p8(&r, (u8)(code & 0x7f));
	p8(&r, (code & 0x80) != 0);
	p64(&r, (u64)reaper);
	rec_submit(&r);
	return 0;
}

#ifdef FALCO_CLASSIC_TP
/*
 * Exec and exit run in the task's own context, so their perf tracepoints (preemption disabled,
 * never skipped) give all these programs need: the task is current, and the exec's file name
 * is the record's __data_loc string (offset in the low 16 bits). Fork stays on tp_btf with
 * its fallback: its perf record carries pids, not the child's task.
 */
struct sched_exec_args {
	u64 common;
	u32 filename_loc;
	s32 pid;
	s32 old_pid;
};

/* kmod process_exec(): every successful execve and execveat, as PPME_SYSCALL_EXECVE_19_X
 * with bprm->filename (the ELF loader has already rewritten orig_ax to __NR_execve). */
SEC("tracepoint/sched/sched_process_exec")
int sched_process_exec(struct sched_exec_args *ctx)
{
	if (!sched_capturing())
		return 0;
	exec_event(NR_EXECVE, 0, false, 0, 0, (void *)ctx + (ctx->filename_loc & 0xffff));
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int sched_process_exit(void *ctx)
{
	return pexit_event(bpf_get_current_task_btf());
}
#else
/* kmod process_exec(): every successful execve and execveat, as PPME_SYSCALL_EXECVE_19_X
 * with bprm->filename (the ELF loader has already rewritten orig_ax to __NR_execve). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec_body, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	if (!sched_capturing())
		return 0;
	exec_event(NR_EXECVE, 0, false, 0, 0, BPF_CORE_READ(bprm, filename));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit_body, struct task_struct *p, bool group_dead)
{
	return pexit_event(p);
}
#endif
