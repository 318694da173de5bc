/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Credentials, namespaces, signals, modules, bpf, prctl and ptrace: the same events and
 * parameters as kmod/events.rs.
 *
 * Differences from the module: none in what is written. Strings copied here (module
 * arguments, PR_SET_NAME's name) use p_ustr_max, which like the module's copy_user_str writes
 * an empty string as an empty parameter. ptrace's PEEK* results are read from the tracer's
 * own memory at `data`, where the raw syscall stored the peeked word, exactly as the module
 * does; BPF reads it with bpf_probe_read_user, which also yields 0 for a page not resident.
 */
#pragma once

#include "misc.h"

/* The credential syscalls' exit events: the result, then the first `n` arguments as u32 ids
 * (setuid/setgid 1, setre*id 2, setres*id 3). */
static __always_inline int ids_event(struct pt_regs *regs, long ret, u32 type, u32 nparams, int n)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	for (int i = 0; i < 3; i++)
		if (i < n)
			p_u32(&r, (u32)arg(regs, i));
	rec_submit(&r);
	return 0;
}

#define IDS_FILLER(name, TYPE, n) \
	FILLER_EXIT(name) { return ids_event(regs, ret, TYPE, TYPE##_NP, n); }
IDS_FILLER(setuid, PPME_SYSCALL_SETUID_X, 1)
IDS_FILLER(setgid, PPME_SYSCALL_SETGID_X, 1)
IDS_FILLER(setreuid, PPME_SYSCALL_SETREUID_X, 2)
IDS_FILLER(setregid, PPME_SYSCALL_SETREGID_X, 2)
IDS_FILLER(setresuid, PPME_SYSCALL_SETRESUID_X, 3)
IDS_FILLER(setresgid, PPME_SYSCALL_SETRESGID_X, 3)

FILLER_EXIT(unshare)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_UNSHARE_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_u32(&r, clone_flags(arg(regs, 0)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(setns)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_SETNS_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_u32(&r, clone_flags(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

/* kill and tkill: the result, the pid or tid (C int) and the signal. */
static __always_inline int kill_event(struct pt_regs *regs, long ret, u32 type, u32 nparams)
{
	struct rec r;
	if (!rec_begin(&r, type, nparams, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_s64(&r, (s32)arg(regs, 0));
	p_u8(&r, (u8)arg(regs, 1));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(kill)
{
	return kill_event(regs, ret, PPME_SYSCALL_KILL_X, PPME_SYSCALL_KILL_X_NP);
}

FILLER_EXIT(tkill)
{
	return kill_event(regs, ret, PPME_SYSCALL_TKILL_X, PPME_SYSCALL_TKILL_X_NP);
}

FILLER_EXIT(tgkill)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_TGKILL_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_s64(&r, (s32)arg(regs, 0));
	p_s64(&r, (s32)arg(regs, 1));
	p_u8(&r, (u8)arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(init_module)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_INIT_MODULE_X, DROP_SYSCALL_EXIT))
		return 0;
	/* The image is copied whatever the result, cut to the snaplen. */
	p_s64(&r, ret);
	p_ubuf(&r, (void *)arg(regs, 0), arg(regs, 1));
	p_u64(&r, arg(regs, 1));
	p_ustr_max(&r, (void *)arg(regs, 2), STR_MAX);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(finit_module)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_FINIT_MODULE_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_ustr_max(&r, (void *)arg(regs, 1), STR_MAX);
	p_u32(&r, (u32)arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(bpf)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_BPF_2_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_u32(&r, (u32)arg(regs, 0));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(prctl)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_PRCTL_X, DROP_SYSCALL_EXIT))
		return 0;
	u64 option = arg(regs, 0);
	p_s64(&r, ret);
	p_u32(&r, (u32)option);
	if (option == PR_SET_NAME)
		p_ustr_max(&r, (void *)arg(regs, 1), COMM_LEN);
	else
		p_empty(&r);
	p_u64(&r, arg(regs, 1));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(ptrace)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_PTRACE_X, DROP_SYSCALL_EXIT))
		return 0;
	u16 req = ptrace_request(arg(regs, 0));
	u64 data = arg(regs, 3);
	p_s64(&r, ret);
	if (ret < 0) {
		/* A failed request records neither address nor data. */
		p_dyn_u64(&r, 0);
		p_dyn_u64(&r, 0);
	} else {
		p_dyn_u64(&r, arg(regs, 2));
		switch (req) {
		case PPM_PTRACE_PEEKTEXT:
		case PPM_PTRACE_PEEKDATA:
		case PPM_PTRACE_PEEKUSR: {
			/* The raw syscall stored the peeked word at `data`. */
			u64 word = 0;
			if (bpf_probe_read_user(&word, sizeof(word), (void *)data) != 0)
				word = 0;
			p_dyn_u64(&r, word);
			break;
		}
		case PPM_PTRACE_CONT:
		case PPM_PTRACE_SINGLESTEP:
		case PPM_PTRACE_DETACH:
		case PPM_PTRACE_SYSCALL:
			p_dyn_sig(&r, (u8)data);
			break;
		default:
			p_dyn_u64(&r, data);
		}
	}
	p_u16(&r, req);
	p_s64(&r, (s32)arg(regs, 1));
	rec_submit(&r);
	return 0;
}
