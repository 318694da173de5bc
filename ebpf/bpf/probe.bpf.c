/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The modern eBPF driver: tracepoint programs that write the same scap records as the kernel
 * module (kmod/events.rs) into BPF ring buffers. Compiled twice: the syscall programs on
 * BTF-typed tracepoints (tp_btf, probe.bpf.o) or, with FALCO_CLASSIC_TP, on perf tracepoints
 * (probe_tp.bpf.o, the loader's default where tracefs is readable); see the top of common.h.
 *
 * sys_enter/sys_exit dispatch by syscall number through tail-call tables to one program per
 * syscall (x_<name> for exit events, e_<name> for the few enter events the engine needs);
 * a syscall with no program of its own gets the generic event. The sched_process_* programs
 * emit the child's clone event, the exec event and procexit, as the module's probes do.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "common.h"
#include "flags.h"
#include "task.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#include "fillers_file.h"
#include "fillers_net.h"
#include "fillers_misc.h"
#include "fillers_proc.h"

/* The dispatchers. On BTF tracepoints each has a fallback copy attached after it (see
 * mark_running in common.h), sharing its body; on perf tracepoints (FALCO_CLASSIC_TP) none is
 * needed. */
static __always_inline int enter_dispatch(void *ctx, long id)
{
	if (!capturing())
		return 0;
	if (id < 0 || id >= SYSCALL_TABLE)
		return 0;
	bpf_tail_call(ctx, &enter_progs, (u32)id);
	return 0;
}

static __always_inline int exit_dispatch(void *ctx, long id, long ret)
{
	struct settings *s = capturing();
	if (!s)
		return 0;
	if (ret < 0 && s->drop_failed)
		return 0;
	if (id < 0 || id >= SYSCALL_TABLE)
		return 0;
	bpf_tail_call(ctx, &exit_progs, (u32)id);
	/* No program of its own: the generic event with the syscall's code. */
	struct rec r;
	if (!REC_BEGIN(&r, PPME_GENERIC_X, DROP_SYSCALL_EXIT))
		return 0;
	u16 code = id < FALCO_SYSCALL_MAX ? ppm_sc_table[id] : 0;
	p_u16(&r, code);
	p_u16(&r, (u16)id);
	rec_submit(&r);
	return 0;
}

#ifdef FALCO_CLASSIC_TP
/* Perf tracepoints run their programs with preemption disabled: nothing to fall back from. */
SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct sys_enter_args *ctx)
{
	return enter_dispatch(ctx, ctx->id);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct sys_exit_args *ctx)
{
	return exit_dispatch(ctx, ctx->id, ctx->ret);
}
#else
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	mark_running(TP_ENTER);
	return enter_dispatch(ctx, id);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_b, struct pt_regs *regs, long id)
{
	if (!first_missed(TP_ENTER))
		return 0;
	return enter_dispatch(ctx, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	mark_running(TP_EXIT);
	return exit_dispatch(ctx, regs->orig_ax, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_b, struct pt_regs *regs, long ret)
{
	if (!first_missed(TP_EXIT))
		return 0;
	return exit_dispatch(ctx, regs->orig_ax, ret);
}
#endif
