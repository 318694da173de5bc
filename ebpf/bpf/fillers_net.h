/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Socket syscalls: the same events and parameters as kmod/events.rs (the socket tuples and
 * queue figures of kmod/shim_net.c, through net.h).
 *
 * Differences from the module: none in what is written. The socket behind a descriptor is
 * recognised by its sockfs inode and the socket's pointer back to the file rather than by
 * sock_from_file()'s f_op comparison, which BPF cannot make without kernel symbols; both
 * accept exactly the files that are sockets. Unix tuples carry the kernel addresses of the
 * socket and its peer, as the module's do.
 */
#pragma once

#include "net.h"

FILLER_EXIT(socket)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SOCKET_SOCKET_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_u32(&r, (u32)arg(regs, 0));
	p_u32(&r, (u32)arg(regs, 1));
	p_u32(&r, (u32)arg(regs, 2));
	p_u32(&r, socket_flags(arg(regs, 1)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(bind)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SOCKET_BIND_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_sockaddr(&r, (void *)arg(regs, 1), arg(regs, 2));
	p_fd(&r, arg(regs, 0));
	rec_submit(&r);
	return 0;
}

FILLER_ENTER(connect)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SOCKET_CONNECT_E, DROP_SYSCALL_ENTER))
		return 0;
	p_fd(&r, arg(regs, 0));
	p_sockaddr(&r, (void *)arg(regs, 1), arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(connect)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SOCKET_CONNECT_X, DROP_SYSCALL_EXIT))
		return 0;
	s64 fd = (s32)arg(regs, 0);
	p_s64(&r, ret);
	p_socktuple(&r, fd, false);
	p_fd(&r, fd);
	p_sockaddr(&r, (void *)arg(regs, 1), arg(regs, 2));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(listen)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SOCKET_LISTEN_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_u32(&r, (u32)arg(regs, 1));
	rec_submit(&r);
	return 0;
}

/* accept and accept4: the new connection's tuple (peer first) and the listening socket's
 * queue once this connection left it. */
static __always_inline void accept_event(struct pt_regs *regs, long ret, bool four)
{
	struct rec r;
	if (four) {
		if (!REC_BEGIN(&r, PPME_SOCKET_ACCEPT4_6_X, DROP_SYSCALL_EXIT))
			return;
	} else if (!REC_BEGIN(&r, PPME_SOCKET_ACCEPT_5_X, DROP_SYSCALL_EXIT)) {
		return;
	}
	u32 qlen, qmax;
	sock_backlog((s32)arg(regs, 0), &qlen, &qmax);
	u64 pct = qmax ? (u64)qlen * 100 / qmax : 0;
	p_s64(&r, ret);
	/* A failed accept has no socket: -1 is never a descriptor. */
	p_socktuple(&r, ret >= 0 ? ret : -1, true);
	p_u8(&r, pct > 255 ? 255 : (u8)pct);
	p_u32(&r, qlen);
	p_u32(&r, qmax);
	if (four)
		p_u32(&r, (u32)arg(regs, 3));
	rec_submit(&r);
}

FILLER_EXIT(accept)
{
	accept_event(regs, ret, false);
	return 0;
}

FILLER_EXIT(accept4)
{
	accept_event(regs, ret, true);
	return 0;
}

FILLER_EXIT(sendto)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SOCKET_SENDTO_X, DROP_SYSCALL_EXIT))
		return 0;
	s64 fd = (s32)arg(regs, 0);
	p_s64(&r, ret);
	p_ubuf(&r, (void *)arg(regs, 1), ret > 0 ? ret : 0);
	p_fd(&r, fd);
	p_u32(&r, (u32)arg(regs, 2));
	p_socktuple(&r, fd, false);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(recvfrom)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SOCKET_RECVFROM_X, DROP_SYSCALL_EXIT))
		return 0;
	s64 fd = (s32)arg(regs, 0);
	p_s64(&r, ret);
	p_ubuf(&r, (void *)arg(regs, 1), ret > 0 ? ret : 0);
	p_socktuple(&r, fd, true);
	p_fd(&r, fd);
	p_u32(&r, (u32)arg(regs, 2));
	rec_submit(&r);
	return 0;
}
