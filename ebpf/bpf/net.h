/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Sockets behind the current task's descriptors and the PT_SOCKADDR / PT_SOCKTUPLE encodings,
 * as kmod/shim_net.c reads them and kmod/events.rs (user_sockaddr, socktuple) writes them.
 */
#pragma once

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 0170000
#define S_IFSOCK 0140000
/* Largest user sockaddr read (the module's buffer) and longest unix path written. */
#define SOCKADDR_READ 112
#define UNIX_PATH_MAX 108

/* The struct sock behind descriptor `fd` of the current task, or NULL when it is not a
 * socket. The module asks sock_from_file() (f_op == &socket_file_ops); BPF checks the same
 * thing through the socket inode's mode and the socket's back-pointer to its file. */
static __always_inline struct sock *fd_sock(s64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return 0;
	struct inode *i = BPF_CORE_READ(f, f_inode);
	if (!i || (BPF_CORE_READ(i, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *s = BPF_CORE_READ(f, private_data);
	if (!s || BPF_CORE_READ(s, file) != f)
		return 0;
	return BPF_CORE_READ(s, sk);
}

/* What a socket tuple is made of (kmod's SockInfo): ports in host order. */
struct sock_info {
	u16 family;
	u16 sport;
	u16 dport;
	u8 saddr[16];
	u8 daddr[16];
	u64 sk;
	u64 peer;
};

static __always_inline u16 be16(u16 v)
{
	return __builtin_bswap16(v);
}

/* Reads the family, addresses and ports of `sk` (falco_fd_sock in kmod/shim_net.c). */
static __always_inline void sock_info_of(struct sock *sk, struct sock_info *si)
{
	__builtin_memset(si, 0, sizeof(*si));
	si->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	si->sk = (u64)sk;
	struct inet_sock *inet = (struct inet_sock *)sk;
	switch (si->family) {
	case AF_INET: {
		u32 s = BPF_CORE_READ(inet, inet_saddr);
		u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(si->saddr, &s, 4);
		__builtin_memcpy(si->daddr, &d, 4);
		si->sport = be16(BPF_CORE_READ(inet, inet_sport));
		si->dport = be16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		break;
	}
	case AF_INET6:
		if (bpf_core_read(si->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr) != 0)
			__builtin_memset(si->saddr, 0, 16);
		if (bpf_core_read(si->daddr, 16, &sk->__sk_common.skc_v6_daddr) != 0)
			__builtin_memset(si->daddr, 0, 16);
		si->sport = be16(BPF_CORE_READ(inet, inet_sport));
		si->dport = be16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		break;
	case AF_UNIX:
		si->peer = (u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
		break;
	}
}

static __always_inline void put_u16le(u8 *d, u16 v)
{
	d[0] = (u8)v;
	d[1] = (u8)(v >> 8);
}

static __always_inline void put_u64le(u8 *d, u64 v)
{
	for (int i = 0; i < 8; i++)
		d[i] = (u8)(v >> (8 * i));
}

/* A PT_SOCKTUPLE of the socket behind `fd` (empty when there is none or its family is not
 * AF_INET, AF_INET6 or AF_UNIX): `inbound` puts the peer first (accept, recvfrom). Unix
 * tuples carry the socket and peer pointers and an empty path, as the module writes them. */
static __always_inline void p_socktuple(struct rec *r, s64 fd, bool inbound)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	struct sock *sk = fd_sock(fd);
	if (!sk) {
		rec_done(r, 0);
		return;
	}
	struct sock_info si;
	sock_info_of(sk, &si);
	u8 *d = &r->b[r->off & OFF_MASK];
	u8 *sa = inbound ? si.daddr : si.saddr;
	u8 *da = inbound ? si.saddr : si.daddr;
	u16 sp = inbound ? si.dport : si.sport;
	u16 dp = inbound ? si.sport : si.dport;
	switch (si.family) {
	case AF_INET:
		d[0] = AF_INET;
		__builtin_memcpy(&d[1], sa, 4);
		put_u16le(&d[5], sp);
		__builtin_memcpy(&d[7], da, 4);
		put_u16le(&d[11], dp);
		rec_done(r, 13);
		return;
	case AF_INET6:
		d[0] = AF_INET6;
		__builtin_memcpy(&d[1], sa, 16);
		put_u16le(&d[17], sp);
		__builtin_memcpy(&d[19], da, 16);
		put_u16le(&d[35], dp);
		rec_done(r, 37);
		return;
	case AF_UNIX:
		d[0] = AF_UNIX;
		put_u64le(&d[1], si.sk);
		put_u64le(&d[9], si.peer);
		d[17] = 0;
		rec_done(r, 18);
		return;
	default:
		rec_done(r, 0);
	}
}

/* A PT_SOCKADDR of the `len`-byte user sockaddr at `uaddr` (kmod's user_sockaddr): empty when
 * unreadable or shorter than a family; a short or unknown address keeps only its family. */
static __always_inline void p_sockaddr(struct rec *r, const void *uaddr, u64 len)
{
	if (!rec_room(r)) {
		rec_done(r, 0);
		return;
	}
	if (len > SOCKADDR_READ)
		len = SOCKADDR_READ;
	u32 n = (u32)len & 127;
	u8 *sa = r->tmp;
	if (!uaddr || n < 2 || bpf_probe_read_user(sa, n, uaddr) != 0) {
		rec_done(r, 0);
		return;
	}
	u16 family = sa[0] | (u16)sa[1] << 8;
	u8 *d = &r->b[r->off & OFF_MASK];
	/* The port is big-endian in the sockaddr, little-endian in the parameter. */
	if (family == AF_INET && n >= 8) {
		d[0] = AF_INET;
		__builtin_memcpy(&d[1], &sa[4], 4);
		d[5] = sa[3];
		d[6] = sa[2];
		rec_done(r, 7);
	} else if (family == AF_INET6 && n >= 24) {
		d[0] = AF_INET6;
		__builtin_memcpy(&d[1], &sa[8], 16);
		d[17] = sa[3];
		d[18] = sa[2];
		rec_done(r, 19);
	} else if (family == AF_UNIX) {
		/* The path up to its NUL or the address's end, at most 108 bytes, then a NUL. */
		u32 size = n - 1;
		if (size > UNIX_PATH_MAX + 1)
			size = UNIX_PATH_MAX + 1;
		/* Hide the bound from clang so that the mask the verifier needs stays. */
		asm volatile("" : "+r"(size));
		d[0] = AF_UNIX;
		long got = bpf_probe_read_kernel_str(&d[1], size & 127, &sa[2]);
		if (got < 1) {
			d[1] = 0;
			got = 1;
		}
		rec_done(r, 1 + (u32)got);
	} else {
		d[0] = (u8)family;
		rec_done(r, 1);
	}
}

/* The accept queue of the listening socket behind `fd`: connections waiting and its limit
 * (falco_sock_backlog in kmod/shim_net.c); zeros when `fd` is not a socket. */
static __always_inline void sock_backlog(s64 fd, u32 *len, u32 *max)
{
	*len = 0;
	*max = 0;
	struct sock *sk = fd_sock(fd);
	if (!sk)
		return;
	*len = BPF_CORE_READ(sk, sk_ack_backlog);
	*max = BPF_CORE_READ(sk, sk_max_ack_backlog);
}
