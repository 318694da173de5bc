// SPDX-License-Identifier: GPL-2.0
/*
 * The thin C wrappers of the falco module: each calls a kernel macro or static inline that
 * Rust cannot call (the Rust bindings of 7.3 only reach exported functions), or sets up a
 * kernel object through a macro (the flush timer). No logic of our own lives here; what reads
 * task, file and socket state is in shim_task.c, shim_file.c and shim_net.c.
 */
#include <linux/binfmts.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/ptrace.h>
#include <linux/sched/task_stack.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/syscall.h>

#include "shim.h"

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

unsigned long long falco_totalram_bytes(void)
{
	return (unsigned long long)totalram_pages() << PAGE_SHIFT;
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

const char *falco_bprm_filename(const struct linux_binprm *bprm)
{
	return bprm ? bprm->filename : NULL;
}

/*
 * The flush timer: a one-shot timer that poll() arms when a reader goes to sleep with data
 * pending below the watermark, so that data is delivered after a short delay even if its CPU
 * makes no further events. Nothing runs while no reader waits. C because timer_setup() is a
 * macro and the callback receives a struct timer_list.
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
