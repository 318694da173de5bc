/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* File syscalls: the same events and parameters as kmod/events.rs. */
#pragma once

FILLER_ENTER(open)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPEN_E, DROP_SYSCALL_ENTER))
		return 0;
	u64 flags = arg(regs, 1);
	p_ustr(&r, (void *)arg(regs, 0));
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 2)));
	rec_submit(&r);
	return 0;
}

FILLER_ENTER(openat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPENAT_2_E, DROP_SYSCALL_ENTER))
		return 0;
	u64 flags = arg(regs, 2);
	p_fd(&r, arg(regs, 0));
	p_ustr(&r, (void *)arg(regs, 1));
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 3)));
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(open)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPEN_X, DROP_SYSCALL_EXIT))
		return 0;
	u32 dev;
	u64 ino;
	fd_dev_ino(ret, &dev, &ino);
	u64 flags = arg(regs, 1);
	p_s64(&r, ret);
	p_ustr(&r, (void *)arg(regs, 0));
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 2)));
	p_u32(&r, dev);
	p_u64(&r, ino);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(openat)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_OPENAT_2_X, DROP_SYSCALL_EXIT))
		return 0;
	u32 dev;
	u64 ino;
	fd_dev_ino(ret, &dev, &ino);
	u64 flags = arg(regs, 2);
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	p_ustr(&r, (void *)arg(regs, 1));
	p_u32(&r, open_flags(flags));
	p_u32(&r, open_mode(flags, arg(regs, 3)));
	p_u32(&r, dev);
	p_u64(&r, ino);
	rec_submit(&r);
	return 0;
}

FILLER_EXIT(close)
{
	struct rec r;
	if (!REC_BEGIN(&r, PPME_SYSCALL_CLOSE_X, DROP_SYSCALL_EXIT))
		return 0;
	p_s64(&r, ret);
	p_fd(&r, arg(regs, 0));
	rec_submit(&r);
	return 0;
}
