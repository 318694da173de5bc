// SPDX-License-Identifier: GPL-2.0
/*
 * Facts about the socket behind one of current's fds: its addresses and ports (the tuples of
 * connect/accept/sendto/... events) and a listening socket's accept queue. C because they
 * read struct sock through the inet_sk()/unix_sk() casts and the sk_* field macros.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <net/af_unix.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "shim.h"

int falco_fd_sock(int fd, struct falco_sock_info *out)
{
	struct file *f;
	struct socket *sock;
	struct sock *sk;
	int ret = -ENOTSOCK;

	memset(out, 0, sizeof(*out));
	rcu_read_lock();
	f = falco_fd_file_rcu(fd);
	sock = f ? sock_from_file(f) : NULL;
	sk = sock ? READ_ONCE(sock->sk) : NULL;
	if (sk) {
		const struct inet_sock *inet = inet_sk(sk);

		out->family = READ_ONCE(sk->sk_family);
		out->sk = (u64)(unsigned long)sk;
		switch (out->family) {
		case AF_INET:
			memcpy(out->saddr, &inet->inet_saddr, 4);
			memcpy(out->daddr, &sk->sk_daddr, 4);
			out->sport = ntohs(inet->inet_sport);
			out->dport = ntohs(sk->sk_dport);
			break;
#if IS_ENABLED(CONFIG_IPV6)
		case AF_INET6:
			memcpy(out->saddr, &sk->sk_v6_rcv_saddr, 16);
			memcpy(out->daddr, &sk->sk_v6_daddr, 16);
			out->sport = ntohs(inet->inet_sport);
			out->dport = ntohs(sk->sk_dport);
			break;
#endif
		case AF_UNIX:
			out->peer = (u64)(unsigned long)READ_ONCE(unix_sk(sk)->peer);
			break;
		}
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

/*
 * Accept-queue figures of the listening socket behind current's fd: connections waiting to
 * be accepted and the queue's limit (listen()'s backlog, capped by somaxconn).
 */
int falco_sock_backlog(int fd, u32 *len, u32 *max)
{
	struct file *f;
	struct socket *sock;
	struct sock *sk;
	int ret = -ENOTSOCK;

	*len = 0;
	*max = 0;
	rcu_read_lock();
	f = falco_fd_file_rcu(fd);
	sock = f ? sock_from_file(f) : NULL;
	sk = sock ? READ_ONCE(sock->sk) : NULL;
	if (sk) {
		*len = READ_ONCE(sk->sk_ack_backlog);
		*max = READ_ONCE(sk->sk_max_ack_backlog);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}
