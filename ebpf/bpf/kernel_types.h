/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The kernel types the programs read, declared with only the fields used. Every struct is
 * `preserve_access_index`: clang records each field access as a CO-RE relocation and the
 * loader resolves it against the running kernel's BTF (/sys/kernel/btf/vmlinux), so field
 * offsets here do not matter and no kernel headers are needed to build or to run.
 * Names must be the kernel's: relocations match by struct and field name.
 */
#pragma once

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
#define true 1
#define false 0

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
	unsigned long ip, cs, flags, sp, ss;
};

struct thread_info {
	unsigned long flags;
	u32 status;
};

typedef struct { u32 val; } kuid_t;
typedef struct { u32 val; } kgid_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
	u64 cap_inheritable;
	u64 cap_permitted;
	u64 cap_effective;
	struct user_namespace *user_ns;
};

struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

struct super_block {
	unsigned long s_magic;
	u32 s_dev;
	void *s_fs_info;
	unsigned long s_flags;
};

struct inode {
	unsigned short i_mode;
	unsigned int i_flags;
	unsigned long i_ino;
	u32 i_rdev;
	struct super_block *i_sb;
	u32 i_nlink;
	kuid_t i_uid;
	kgid_t i_gid;
	long long i_ctime_sec;
	u32 i_ctime_nsec;
	long long i_mtime_sec;
	u32 i_mtime_nsec;
};

struct list_head {
	struct list_head *next;
	struct list_head *prev;
};

struct hlist_bl_node {
	struct hlist_bl_node *next;
	struct hlist_bl_node **pprev;
};

struct dentry_operations {
	void *d_dname;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
	struct hlist_bl_node d_hash;
	const struct dentry_operations *d_op;
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

/* fs/overlayfs/ovl_entry.h (private): only the two fields the overlay layer check needs. */
struct ovl_inode {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
	unsigned int f_mode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_start;
	unsigned long env_end;
	unsigned long total_vm;
	struct file *exe_file;
	unsigned long hiwater_rss;
	struct {
		long count;
	} rss_stat[4];
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

struct pid_namespace {
	unsigned int level;
	struct task_struct *child_reaper;
};

struct nsproxy {
	struct pid_namespace *pid_ns_for_children;
	struct mnt_namespace *mnt_ns;
	struct net *net_ns;
	struct cgroup_namespace *cgroup_ns;
};

struct rlimit {
	unsigned long rlim_cur;
	unsigned long rlim_max;
};

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	int index;
	struct tty_driver *driver;
};

/* kernfs_node.parent was renamed __parent in 6.15; proc.h reads whichever exists. */
struct kernfs_node {
	struct kernfs_node *__parent;
	const char *name;
};

struct kernfs_node___old {
	struct kernfs_node *parent;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct css_set {
	struct cgroup *dfl_cgrp;
};

struct cgroup_namespace {
	struct css_set *root_cset;
};

struct linux_binprm {
	const char *filename;
};

struct signal_struct {
	int nr_threads;
	struct tty_struct *tty;
	struct list_head thread_head;
	struct pid *pids[4];
	struct rlimit rlim[16];
	unsigned int is_child_subreaper : 1;
	unsigned int has_child_subreaper : 1;
};

struct task_struct {
	struct thread_info thread_info;
	unsigned int flags;
	int exit_code;
	int exit_signal;
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct task_struct *parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	u64 start_time;
	u64 start_boottime;
	const struct cred *cred;
	char comm[16];
	struct fs_struct *fs;
	struct files_struct *files;
	struct nsproxy *nsproxy;
	struct signal_struct *signal;
	struct mm_struct *mm;
	u64 utime;
	u64 stime;
	unsigned long min_flt;
	unsigned long maj_flt;
	int prio;
	struct list_head children;
	struct list_head thread_node;
	kuid_t loginuid;
	struct css_set *cgroups;
	void *stack;
};

#pragma clang attribute pop

/* Sockets (net.h): the fields the socket tuples and accept-queue figures read. The kernel keeps
 * skc_daddr, skc_dport and friends in anonymous unions; CO-RE finds them by name inside those. */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
	union {
		u8 u6_addr8[16];
	} in6_u;
};

struct sock_common {
	u32 skc_daddr;
	u32 skc_rcv_saddr;
	u16 skc_dport;
	u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u32 sk_ack_backlog;
	u32 sk_max_ack_backlog;
};

struct socket {
	struct file *file;
	struct sock *sk;
};

struct inet_sock {
	struct sock sk;
	u32 inet_saddr;
	u16 inet_sport;
};

struct unix_sock {
	struct sock sk;
	struct sock *peer;
};

#pragma clang attribute pop
