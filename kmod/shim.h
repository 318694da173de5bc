/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of the falco module: what Rust calls (defined in shim.c, shim_task.c, shim_file.c
 * and shim_net.c) and the two structs it fills. kmod/bindings.rs declares the same functions
 * and mirrors the structs' layouts (size-asserted there); kmod/README.md says why each is C.
 *
 * Every function is callable in atomic context: nothing sleeps, nothing takes a reference
 * whose release could sleep (paths and files are read under RCU, without references).
 */
#ifndef FALCO_SHIM_H
#define FALCO_SHIM_H

#include <linux/fdtable.h>
#include <linux/sched.h>
#include <linux/types.h>

struct linux_binprm;
struct page;

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
	u64 pidns_init_start;	/* start_time of the init task of t's pid namespace */
};

/* shim.c: one-line wrappers over kernel macros and static inlines. */
unsigned int falco_get_cpu(void);
void falco_put_cpu(void);
void *falco_vmap(struct page **pages, unsigned int count);
unsigned long long falco_totalram_bytes(void);
bool falco_in_compat_syscall(void);
long falco_strncpy_user_nofault(char *dst, const void __user *src, long count);
long falco_syscall_nr(unsigned long *arg0);
const char *falco_bprm_filename(const struct linux_binprm *bprm);
void falco_flush_init(void (*fn)(void));
void falco_flush_arm(unsigned int ms);
void falco_flush_shutdown(void);

/* shim_task.c: facts about a task. */
int falco_task_cwd(struct task_struct *t, char *buf, int len);
int falco_task_exe(struct task_struct *t, char *buf, int len);
int falco_task_cgroup(struct task_struct *t, char *buf, int len);
void falco_task_info(struct task_struct *t, struct falco_task_info *out);
long falco_reaper_tid(struct task_struct *t);

/* shim_file.c: facts about a file. */
int falco_fd_dev_ino(int fd, u32 *dev, u64 *ino);
int falco_fd_overlay(int fd);
u32 falco_exe_flags(void);

/* shim_net.c: facts about a socket. */
int falco_fd_sock(int fd, struct falco_sock_info *out);
int falco_sock_backlog(int fd, u32 *len, u32 *max);

/* Looks up current's fd without taking a reference; the caller holds rcu_read_lock. */
static inline struct file *falco_fd_file_rcu(int fd)
{
	struct files_struct *files = current->files;

	if (!files || fd < 0)
		return NULL;
	return files_lookup_fd_raw(files, fd);
}

#endif /* FALCO_SHIM_H */
