/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Test-only objects (never loaded by falco unless FALCO_EBPF_TEST_OBJECT names them): they
 * carry the driver's maps and one program each, to produce through the loader's own code path
 * the refusals this kernel never gives with the real programs.
 *
 * FALCO_TEST_REJECT: a sys_enter program indexing a map value with an unbounded offset, which
 * every verifier refuses. FALCO_TEST_MISSING_TP: a program the loader attaches to a tracepoint
 * that no kernel has.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#ifdef FALCO_TEST_REJECT
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct settings *s = settings();
	if (!s)
		return 0;
	return ((u8 *)s)[(u32)id];
}
#endif

#ifdef FALCO_TEST_MISSING_TP
SEC("tp_btf/sys_enter")
int BPF_PROG(test_missing_tracepoint, struct pt_regs *regs, long id)
{
	return 0;
}
#endif
