/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Parameter helpers of the misc syscalls (fillers_misc.h). */
#pragma once

/* PR_SET_NAME: prctl's only option whose arg2 is a string the module copies. */
#define PR_SET_NAME 15
/* The task name's size (TASK_COMM_LEN): what PR_SET_NAME copies at most, NUL included. */
#define COMM_LEN 16

/* A PT_DYN value of ptrace's addr/data (kmod's PtraceDyn): index 0 and a u64. */
static __always_inline void p_dyn_u64(struct rec *r, u64 v)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	u8 *d = &r->b[r->off & OFF_MASK];
	d[0] = 0;
	__builtin_memcpy(&d[1], &v, 8);
	rec_done(r, 9);
}

/* A PT_DYN signal number: index 1 (PPM_PTRACE_IDX_SIGTYPE) and one byte. */
static __always_inline void p_dyn_sig(struct rec *r, u8 sig)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	u8 *d = &r->b[r->off & OFF_MASK];
	d[0] = 1;
	d[1] = sig;
	rec_done(r, 2);
}
