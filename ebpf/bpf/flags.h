/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/* Linux flag words to libs' PPM_* encodings: the same conversions as kmod/flags.rs. */
#pragma once

/* O_* (x86_64) to PPM_O_*. */
static __always_inline u32 open_flags(u64 f)
{
	u32 r;
	switch (f & 3) {
	case 0: r = 1; break; /* PPM_O_RDONLY */
	case 1: r = 2; break; /* PPM_O_WRONLY */
	default: r = 3;       /* PPM_O_RDWR */
	}
	if (f & 0100) r |= 1 << 2;        /* O_CREAT */
	if (f & 02000) r |= 1 << 3;       /* O_APPEND */
	if (f & 010000) r |= 1 << 4;      /* O_DSYNC */
	if (f & 0200) r |= 1 << 5;        /* O_EXCL */
	if (f & 04000) r |= 1 << 6;       /* O_NONBLOCK */
	if (f & 04000000) r |= 1 << 7;    /* __O_SYNC */
	if (f & 01000) r |= 1 << 8;       /* O_TRUNC */
	if (f & 040000) r |= 1 << 9;      /* O_DIRECT */
	if (f & 0200000) r |= 1 << 10;    /* O_DIRECTORY */
	if (f & 0100000) r |= 1 << 11;    /* O_LARGEFILE */
	if (f & 02000000) r |= 1 << 12;   /* O_CLOEXEC */
	if (f & 020000000) r |= 1 << 13;  /* __O_TMPFILE */
	return r;
}

/* The mode of an open: meaningful only with O_CREAT or O_TMPFILE. */
static __always_inline u32 open_mode(u64 flags, u64 mode)
{
	return (flags & (0100 | 020000000)) ? (u32)(mode & 07777) : 0;
}

/* RESOLVE_* to PPM_RESOLVE_*. */
static __always_inline u32 resolve_flags(u64 f)
{
	u32 r = 0;
	if (f & 0x08) r |= 1 << 0;
	if (f & 0x10) r |= 1 << 1;
	if (f & 0x02) r |= 1 << 2;
	if (f & 0x04) r |= 1 << 3;
	if (f & 0x01) r |= 1 << 4;
	if (f & 0x20) r |= 1 << 5;
	return r;
}
