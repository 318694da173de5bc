/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Maps, settings and the record builder shared by every program.
 *
 * A record is built in one of this CPU's SCRATCH_SLOTS scratch areas, in the scap V2 layout of
 * ringbuf-abi/src/record.rs: a 26-byte header, one u16 length per parameter, then the
 * parameter values. It is then copied into the ring buffer of this CPU's group with
 * bpf_ringbuf_output(); when that ring is full the record is dropped and counted by category,
 * and nothing waits.
 *
 * Preemption. Since the syscall tracepoints became faultable (Linux 6.14, and every
 * tracepoint in 7.x), programs run with only migration disabled: a program can be preempted
 * half-way through a record and another program run on the same CPU. Hence several scratch
 * slots per CPU, each tagged by the thread holding it (rec_begin), and a record whose slot was
 * taken over meanwhile is dropped and counted, never sent half-overwritten. And the kernel
 * skips a program outright while the same program is preempted on that CPU (its
 * recursion-miss counter): every attached program has a fallback copy attached after it
 * (the `_b` programs) that does the work when it finds that the first one did not run for
 * this call (see mark_running and first_missed); what neither ran for is counted as dropped
 * by the loader (recursion misses of the first minus calls the fallback took over).
 *
 * Offsets into the scratch area are masked with OFF_MASK before every access so that the
 * verifier can bound them; a record whose parameters would start past DATA_LIMIT is not sent
 * (counted as DROP_TOO_LARGE) rather than wrapped.
 */
#pragma once

#include "falco_abi.h"

#define MAX_RINGS 32
#define SCRATCH_SIZE (1 << 16)
#define DATA_LIMIT (1 << 15)
#define OFF_MASK (DATA_LIMIT - 1)
/* Longest string parameter (PATH_MAX) and longest buffer parameter (MAX_SNAPLEN). */
#define STR_MAX 4096
#define BUF_MAX FALCO_MAX_SNAPLEN
#define TMP_SIZE 8192
/* Syscall numbers the tail-call tables cover. */
#define SYSCALL_TABLE 512
/* x86_64 thread_info.status bit of a 32-bit (ia32) syscall. */
#define TS_COMPAT 0x0002

/* Set by the loader at start-up and by the engine (enable, snaplen, drop_failed_exit). */
struct settings {
	u64 boot_offset;   /* epoch ns at boot: record ts = boot_offset + bpf_ktime_get_boot_ns() */
	u32 enabled;
	u32 snaplen;
	u32 drop_failed;
	u32 cpus_per_ring; /* 0: one ring for every CPU */
	u32 nrings;
	u32 tree_root;     /* tests on a shared host: only this tgid and its descendants (0: all) */
};

struct event_mask {
	u64 w[FALCO_EVENT_MASK_WORDS];
};

/* The attach points with a fallback program, indexing cpu_state.owner and counters.recovered. */
#define TP_ENTER 0
#define TP_EXIT 1
#define TP_FORK 2
#define TP_EXEC 3
#define TP_PEXIT 4
#define TP_COUNT 5

struct counters {
	u64 events;
	u64 drops[FALCO_DROP_CATEGORIES];
	u64 recovered[TP_COUNT]; /* calls a fallback program took over, by attach point */
};

/* Scratch areas per CPU: a record in progress in each program preempted on this CPU, plus
 * the running one. */
#define SCRATCH_SLOTS 4

struct scratch {
	u64 tag; /* the holder's thread id + 1; 0: free */
	u8 rec[SCRATCH_SIZE];
	u8 tmp[TMP_SIZE];
};

/* Per CPU: the thread (id + 1) whose first program last started at each attach point. */
struct cpu_state {
	u64 owner[TP_COUNT];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct settings);
} settings_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event_mask);
} event_mask_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct counters);
} counters_map SEC(".maps");

/* SCRATCH_SLOTS entries per possible CPU, CPU n's at n * SCRATCH_SLOTS (the loader sets
 * max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cpu_state);
} cpu_state_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSCALL_TABLE);
	__type(key, u32);
	__type(value, u32);
} enter_progs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSCALL_TABLE);
	__type(key, u32);
	__type(value, u32);
} exit_progs SEC(".maps");

/* The ring buffers: the loader sizes the first `nrings` and shrinks the others to one page. */
#define RING(n) \
	struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb##n SEC(".maps")
RING(0); RING(1); RING(2); RING(3); RING(4); RING(5); RING(6); RING(7);
RING(8); RING(9); RING(10); RING(11); RING(12); RING(13); RING(14); RING(15);
RING(16); RING(17); RING(18); RING(19); RING(20); RING(21); RING(22); RING(23);
RING(24); RING(25); RING(26); RING(27); RING(28); RING(29); RING(30); RING(31);

/* Per ring: when its reader was last woken (boot ns). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_RINGS);
	__type(key, u32);
	__type(value, u64);
} wake_map SEC(".maps");

/* A ring's reader is woken at most once per WAKE_NS: a wakeup (irq_work) per record cost more
 * than the rest of a small record's path. The reader polls with a 1 ms timeout while events
 * flow, and the first record after a quiet spell always wakes it, so no record waits much
 * longer than WAKE_NS (the module's flush bound is the same 1 ms). */
#define WAKE_NS 1000000ULL

static __always_inline struct settings *settings(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&settings_map, &zero);
}

static __always_inline void count_drop(u32 cat)
{
	u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters_map, &zero);
	if (c && cat < FALCO_DROP_CATEGORIES)
		c->drops[cat]++;
}

/* True when `tgid` is `root` or one of its descendants (up to 16 generations). */
static __always_inline bool in_tree(struct task_struct *t, u32 root)
{
	for (int i = 0; i < 16; i++) {
		if (!t)
			return false;
		int tgid = t->tgid;
		if ((u32)tgid == root)
			return true;
		if (tgid <= 1)
			return false;
		t = t->real_parent;
	}
	return false;
}

/* Whether the current task is captured at all: capture enabled, not a 32-bit syscall, and in
 * the test tree when one is set. */
static __always_inline struct settings *capturing(void)
{
	struct settings *s = settings();
	if (!s || !s->enabled)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	if (t->thread_info.status & TS_COMPAT)
		return 0;
	if (s->tree_root && !in_tree(t, s->tree_root))
		return 0;
	return s;
}

static __always_inline bool wanted(u32 type)
{
	u32 zero = 0;
	struct event_mask *m = bpf_map_lookup_elem(&event_mask_map, &zero);
	if (!m)
		return false;
	u32 w = (type / 64) % FALCO_EVENT_MASK_WORDS;
	return (m->w[w] >> (type % 64)) & 1;
}

struct rec {
	u8 *b;      /* the scratch slot's record area */
	u8 *tmp;    /* the scratch slot's temporaries */
	struct scratch *s; /* the slot */
	u64 tag;    /* what rec_begin wrote in s->tag: the running thread's id + 1 */
	u32 slot;   /* the slot's index in scratch_map */
	u32 off;    /* where the next parameter value goes */
	u32 np;     /* parameters written */
	u32 nparams;
	u32 type;
	u32 cat;    /* drop category */
	u32 snaplen;
	u64 tid;    /* the header's thread id: current's unless the program sets another */
	bool big;   /* a parameter did not fit: the record is dropped */
};

/*
 * Takes a scratch slot of this CPU for the running thread: a free one, or one this thread
 * still holds (a thread runs one program at a time, so such a tag is left over from a record
 * it abandoned), else the last slot, taken over from whoever holds it (that holder then finds
 * its tag gone and drops its record). Check and write are not atomic: a preemption between
 * them is caught the same way, by the tag check in rec_submit.
 */
static __always_inline bool claim_slot(struct rec *r)
{
	u32 cpu = bpf_get_smp_processor_id();
	u64 tag = (u64)(u32)bpf_get_current_pid_tgid() + 1;
	for (u32 i = 0; i < SCRATCH_SLOTS; i++) {
		u32 idx = cpu * SCRATCH_SLOTS + i;
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &idx);
		if (!s)
			return false;
		u64 held = *(volatile u64 *)&s->tag;
		if (held == 0 || held == tag || i == SCRATCH_SLOTS - 1) {
			*(volatile u64 *)&s->tag = tag;
			r->s = s;
			r->slot = idx;
			r->tag = tag;
			r->b = s->rec;
			r->tmp = s->tmp;
			return true;
		}
	}
	return false;
}

/* Starts a record of event `type` with `nparams` parameters; false (nothing to do) when the
 * engine does not want this event. */
static __always_inline bool rec_begin(struct rec *r, u32 type, u32 nparams, u32 cat)
{
	if (!wanted(type))
		return false;
	if (!claim_slot(r))
		return false;
	struct settings *st = settings();
	r->type = type;
	r->nparams = nparams;
	r->cat = cat;
	r->np = 0;
	r->big = false;
	r->snaplen = st ? st->snaplen : FALCO_DEFAULT_SNAPLEN;
	r->off = FALCO_HEADER_LEN + 2 * nparams;
	r->tid = (u32)bpf_get_current_pid_tgid();
	return true;
}

#define REC_BEGIN(r, TYPE, cat) rec_begin(r, TYPE, TYPE##_NP, cat)

/* Closes the current parameter, `len` bytes long. */
static __always_inline void rec_done(struct rec *r, u32 len)
{
	u32 at = (FALCO_HEADER_LEN + 2 * r->np) & OFF_MASK;
	*(u16 *)&r->b[at] = (u16)len;
	r->np++;
	r->off += len;
}

/* The offset of the next parameter value, or false when it would start past DATA_LIMIT. */
static __always_inline bool rec_room(struct rec *r)
{
	if (r->off >= DATA_LIMIT) {
		r->big = true;
		return false;
	}
	return true;
}

static __always_inline void p_empty(struct rec *r)
{
	rec_done(r, 0);
}

#define DEFINE_PUT(name, type)                                       \
	static __always_inline void name(struct rec *r, type v)      \
	{                                                            \
		if (!rec_room(r)) {                                  \
			rec_done(r, 0);                              \
			return;                                      \
		}                                                    \
		*(type *)&r->b[r->off & OFF_MASK] = v;               \
		rec_done(r, sizeof(type));                           \
	}
DEFINE_PUT(p_u8, u8)
DEFINE_PUT(p_u16, u16)
DEFINE_PUT(p_u32, u32)
DEFINE_PUT(p_u64, u64)
#define p_s64(r, v) p_u64(r, (u64)(s64)(v))
#define p_s32(r, v) p_u32(r, (u32)(s32)(v))
/* A file descriptor argument (C int) as the s64 the schema wants. */
#define p_fd(r, v) p_u64(r, (u64)(s64)(s32)(v))

/* A NUL-terminated user string of at most `max` bytes (NUL included, truncated to fit), as the
 * module's copy_user_str writes it: an empty, NULL or unreadable string is an empty parameter.
 * `max` must be a constant no larger than STR_MAX (e.g. the module's 256 for a mount type). */
static __always_inline void p_ustr_max(struct rec *r, const void *uptr, u32 max)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	long n = 0;
	if (uptr)
		n = bpf_probe_read_user_str(&r->b[r->off & OFF_MASK], max, uptr);
	rec_done(r, n > 1 ? (u32)n : 0);
}

/* A user path or string of at most STR_MAX (PATH_MAX) bytes; see p_ustr_max. */
static __always_inline void p_ustr(struct rec *r, const void *uptr)
{
	p_ustr_max(r, uptr, STR_MAX);
}

/* A NUL-terminated kernel string of at most STR_MAX bytes; empty when unreadable. */
static __always_inline void p_kstr(struct rec *r, const void *kptr)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	long n = bpf_probe_read_kernel_str(&r->b[r->off & OFF_MASK], STR_MAX, kptr);
	rec_done(r, n > 0 ? (u32)n : 0);
}

/* `len` bytes of user memory, cut to the snaplen; empty when unreadable. */
static __always_inline void p_ubuf(struct rec *r, const void *uptr, u64 len)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	if (len > r->snaplen)
		len = r->snaplen;
	if (len > BUF_MAX)
		len = BUF_MAX;
	u32 n = (u32)len & (BUF_MAX - 1 | BUF_MAX);
	if (n == 0 || !uptr || bpf_probe_read_user(&r->b[r->off & OFF_MASK], n & (2 * BUF_MAX - 1), uptr) != 0) {
		rec_done(r, 0);
		return;
	}
	rec_done(r, n);
}

/* Marks the running thread's first-program runs as finished (see first_missed). */
static __always_inline void clear_owner(u64 tag)
{
	u32 zero = 0;
	struct cpu_state *st = bpf_map_lookup_elem(&cpu_state_map, &zero);
	if (!st)
		return;
	for (int i = 0; i < TP_COUNT; i++)
		if (st->owner[i] == tag)
			st->owner[i] = 0;
}

/* Sends the record to this CPU's ring; drops and counts it when the ring is full, or when its
 * scratch slot was taken over while this program was preempted. Frees the slot. */
static __always_inline void rec_submit(struct rec *r)
{
	u32 zero = 0;
	struct settings *s = settings();
	struct counters *c = bpf_map_lookup_elem(&counters_map, &zero);
	if (!s || !c)
		return;
	if (*(volatile u64 *)&r->s->tag != r->tag) {
		if (r->cat < FALCO_DROP_CATEGORIES)
			c->drops[r->cat]++;
		return;
	}
	if (r->big || r->np != r->nparams || r->off > DATA_LIMIT + BUF_MAX) {
		c->drops[DROP_TOO_LARGE]++;
		r->s->tag = 0;
		return;
	}
	u8 *b = r->b;
	u64 now = bpf_ktime_get_boot_ns();
	*(u64 *)&b[0] = s->boot_offset + now;
	*(u64 *)&b[8] = r->tid;
	*(u32 *)&b[16] = r->off;
	*(u16 *)&b[20] = (u16)r->type;
	*(u32 *)&b[22] = r->nparams;
	u32 ring = 0;
	if (s->cpus_per_ring && s->nrings)
		ring = (bpf_get_smp_processor_id() / s->cpus_per_ring) % s->nrings;
	u64 len = r->off & (SCRATCH_SIZE - 1);
	u64 flags = BPF_RB_NO_WAKEUP;
	u64 *woken = bpf_map_lookup_elem(&wake_map, &ring);
	if (!woken || now - *woken >= WAKE_NS) {
		flags = BPF_RB_FORCE_WAKEUP;
		if (woken)
			*woken = now;
	}
	long rc;
	switch (ring) {
#define CASE(n) case n: rc = bpf_ringbuf_output(&rb##n, b, len, flags); break
	CASE(0); CASE(1); CASE(2); CASE(3); CASE(4); CASE(5); CASE(6); CASE(7);
	CASE(8); CASE(9); CASE(10); CASE(11); CASE(12); CASE(13); CASE(14); CASE(15);
	CASE(16); CASE(17); CASE(18); CASE(19); CASE(20); CASE(21); CASE(22); CASE(23);
	CASE(24); CASE(25); CASE(26); CASE(27); CASE(28); CASE(29); CASE(30); CASE(31);
#undef CASE
	default: rc = -1;
	}
	if (rc == 0)
		c->events++;
	else if (r->cat < FALCO_DROP_CATEGORIES)
		c->drops[r->cat]++;
	if (*(volatile u64 *)&r->s->tag == r->tag)
		r->s->tag = 0;
	/* Only now: a preemption inside bpf_ringbuf_output (its unlock is a preemption point) still
	 * leaves this thread the owner, so a fallback program sees that the first one is busy. */
	clear_owner(r->tag);
}

/*
 * The first program of an attach point records which thread it runs for, before anything
 * else. The kernel skips a program while the same program is preempted on this CPU; the
 * fallback program attached after it then finds another thread recorded (the one preempted)
 * and does the work itself. A thread that ran the first program finds itself (or 0, once its
 * record was sent). What this misses (the first program preempted before recording, or
 * between the two programs of one call) shows in the loader's count of recursion misses
 * minus recovered calls.
 */
static __always_inline void mark_running(u32 tp)
{
	u32 zero = 0;
	struct cpu_state *st = bpf_map_lookup_elem(&cpu_state_map, &zero);
	if (st && tp < TP_COUNT)
		st->owner[tp] = (u64)(u32)bpf_get_current_pid_tgid() + 1;
}

/* In a fallback program: true (and counted) when the first program did not run for this call. */
static __always_inline bool first_missed(u32 tp)
{
	u32 zero = 0;
	struct cpu_state *st = bpf_map_lookup_elem(&cpu_state_map, &zero);
	if (!st || tp >= TP_COUNT)
		return false;
	u64 o = st->owner[tp];
	if (o == 0 || o == (u64)(u32)bpf_get_current_pid_tgid() + 1)
		return false;
	struct counters *c = bpf_map_lookup_elem(&counters_map, &zero);
	if (c)
		c->recovered[tp]++;
	return true;
}

/* The six syscall arguments (x86_64 convention). */
static __always_inline u64 arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
}

#ifdef FALCO_CLASSIC_TP
/*
 * The classic flavour (probe_tp.bpf.o): sys_enter and sys_exit as perf tracepoints
 * (raw_syscalls), whose programs run with preemption disabled on every kernel, where the
 * tp_btf ones are preemptible on 7.x and skipped while preempted (see the top of this file).
 * The context is the tracepoint's record; the registers are current's (bpf_task_pt_regs,
 * 5.15+), a BTF pointer read as directly as tp_btf's argument.
 */
struct sys_enter_args {
	u64 common;
	long id;
	unsigned long args[6];
};

struct sys_exit_args {
	u64 common;
	long id;
	long ret;
};

static __always_inline struct pt_regs *current_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#define FILLER_EXIT(name)                                                                  \
	static __always_inline int x_##name##_do(void *ctx, struct pt_regs *regs, long ret);  \
	SEC("tracepoint/raw_syscalls/sys_exit") int x_##name(struct sys_exit_args *ctx)      \
	{                                                                                  \
		return x_##name##_do(ctx, current_regs(), ctx->ret);                       \
	}                                                                                  \
	static __always_inline int x_##name##_do(void *ctx, struct pt_regs *regs, long ret)
#define FILLER_ENTER(name)                                                                 \
	static __always_inline int e_##name##_do(void *ctx, struct pt_regs *regs, long id);   \
	SEC("tracepoint/raw_syscalls/sys_enter") int e_##name(struct sys_enter_args *ctx)    \
	{                                                                                  \
		return e_##name##_do(ctx, current_regs(), ctx->id);                        \
	}                                                                                  \
	static __always_inline int e_##name##_do(void *ctx, struct pt_regs *regs, long id)
#else
#define FILLER_EXIT(name) \
	SEC("tp_btf/sys_exit") int BPF_PROG(x_##name, struct pt_regs *regs, long ret)
#define FILLER_ENTER(name) \
	SEC("tp_btf/sys_enter") int BPF_PROG(e_##name, struct pt_regs *regs, long id)
#endif
