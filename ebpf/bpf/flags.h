/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Linux flag words to libs' PPM_* encodings: the conversions of kmod/flags.rs and the masks
 * kmod/events.rs applies inline, with the same values, so a record's flags parameter is the
 * module's whichever driver wrote it. x86_64 values throughout.
 */
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

/* ---- Sockets and the misc syscalls (fillers_net.h, fillers_misc.h) ---- */

/* SOCK_NONBLOCK / SOCK_CLOEXEC of socket()'s type as PPM_O_* file flags (they equal
 * O_NONBLOCK / O_CLOEXEC on x86_64); no access-mode bits. */
static __always_inline u32 socket_flags(u64 ty)
{
	return open_flags(ty & (04000 | 02000000)) & ~3u;
}

/* CLONE_* to PPM_CL_*. */
static __always_inline u32 clone_flags(u64 f)
{
	u32 r = 0;
	if (f & 0x400) r |= 1 << 0;          /* CLONE_FILES */
	if (f & 0x200) r |= 1 << 1;          /* CLONE_FS */
	if (f & 0x80000000) r |= 1 << 2;     /* CLONE_IO */
	if (f & 0x08000000) r |= 1 << 3;     /* CLONE_NEWIPC */
	if (f & 0x40000000) r |= 1 << 4;     /* CLONE_NEWNET */
	if (f & 0x00020000) r |= 1 << 5;     /* CLONE_NEWNS */
	if (f & 0x20000000) r |= 1 << 6;     /* CLONE_NEWPID */
	if (f & 0x04000000) r |= 1 << 7;     /* CLONE_NEWUTS */
	if (f & 0x8000) r |= 1 << 8;         /* CLONE_PARENT */
	if (f & 0x00100000) r |= 1 << 9;     /* CLONE_PARENT_SETTID */
	if (f & 0x2000) r |= 1 << 10;        /* CLONE_PTRACE */
	if (f & 0x800) r |= 1 << 11;         /* CLONE_SIGHAND */
	if (f & 0x00040000) r |= 1 << 12;    /* CLONE_SYSVSEM */
	if (f & 0x00010000) r |= 1 << 13;    /* CLONE_THREAD */
	if (f & 0x00800000) r |= 1 << 14;    /* CLONE_UNTRACED */
	if (f & 0x100) r |= 1 << 15;         /* CLONE_VM */
	if (f & 0x10000000) r |= 1 << 20;    /* CLONE_NEWUSER */
	if (f & 0x00200000) r |= 1 << 23;    /* CLONE_CHILD_CLEARTID */
	if (f & 0x01000000) r |= 1 << 24;    /* CLONE_CHILD_SETTID */
	if (f & 0x00080000) r |= 1 << 25;    /* CLONE_SETTLS */
	if (f & 0x4000) r |= 1 << 27;        /* CLONE_VFORK */
	if (f & 0x02000000) r |= 1 << 28;    /* CLONE_NEWCGROUP */
	return r;
}

/* PPM_PTRACE_* of the requests whose data libs decodes specially. */
#define PPM_PTRACE_PEEKTEXT 2
#define PPM_PTRACE_PEEKDATA 3
#define PPM_PTRACE_PEEKUSR 4
#define PPM_PTRACE_CONT 8
#define PPM_PTRACE_SINGLESTEP 10
#define PPM_PTRACE_DETACH 12
#define PPM_PTRACE_SYSCALL 13

/* x86_64 PTRACE_* request to PPM_PTRACE_* (0: unknown). */
static __always_inline u16 ptrace_request(u64 req)
{
	switch (req) {
	case 0: return 1;         /* PTRACE_TRACEME */
	case 1: return 2;         /* PTRACE_PEEKTEXT */
	case 2: return 3;         /* PTRACE_PEEKDATA */
	case 3: return 4;         /* PTRACE_PEEKUSR */
	case 4: return 5;         /* PTRACE_POKETEXT */
	case 5: return 6;         /* PTRACE_POKEDATA */
	case 6: return 7;         /* PTRACE_POKEUSR */
	case 7: return 8;         /* PTRACE_CONT */
	case 8: return 9;         /* PTRACE_KILL */
	case 9: return 10;        /* PTRACE_SINGLESTEP */
	case 12: return 26;       /* PTRACE_GETREGS */
	case 13: return 27;       /* PTRACE_SETREGS */
	case 14: return 28;       /* PTRACE_GETFPREGS */
	case 15: return 29;       /* PTRACE_SETFPREGS */
	case 16: return 11;       /* PTRACE_ATTACH */
	case 17: return 12;       /* PTRACE_DETACH */
	case 18: return 30;       /* PTRACE_GETFPXREGS */
	case 19: return 31;       /* PTRACE_SETFPXREGS */
	case 21: return 32;       /* PTRACE_OLDSETOPTIONS */
	case 24: return 13;       /* PTRACE_SYSCALL */
	case 25: return 33;       /* PTRACE_GET_THREAD_AREA */
	case 26: return 34;       /* PTRACE_SET_THREAD_AREA */
	case 30: return 35;       /* PTRACE_ARCH_PRCTL */
	case 31: return 36;       /* PTRACE_SYSEMU */
	case 32: return 37;       /* PTRACE_SYSEMU_SINGLESTEP */
	case 33: return 38;       /* PTRACE_SINGLEBLOCK */
	case 0x4200: return 14;   /* PTRACE_SETOPTIONS */
	case 0x4201: return 15;   /* PTRACE_GETEVENTMSG */
	case 0x4202: return 16;   /* PTRACE_GETSIGINFO */
	case 0x4203: return 17;   /* PTRACE_SETSIGINFO */
	case 0x4204: return 18;   /* PTRACE_GETREGSET */
	case 0x4205: return 19;   /* PTRACE_SETREGSET */
	case 0x4206: return 20;   /* PTRACE_SEIZE */
	case 0x4207: return 21;   /* PTRACE_INTERRUPT */
	case 0x4208: return 22;   /* PTRACE_LISTEN */
	case 0x4209: return 23;   /* PTRACE_PEEKSIGINFO */
	case 0x420a: return 24;   /* PTRACE_GETSIGMASK */
	case 0x420b: return 25;   /* PTRACE_SETSIGMASK */
	default: return 0;
	}
}

/* ---- File syscalls (fillers_file.h) ---- */

/* A mode argument (creat, mkdir, chmod ...): the permission bits, which PPM_S_* equal. */
static __always_inline u32 file_mode(u64 mode)
{
	return (u32)(mode & 07777);
}

/* AT_REMOVEDIR to PPM_AT_REMOVEDIR (both 0x200). */
static __always_inline u32 unlinkat_flags(u64 f)
{
	return (u32)(f & 0x200);
}

/* linkat's AT_SYMLINK_FOLLOW and AT_EMPTY_PATH, which PPM_AT_* equal. */
static __always_inline u32 linkat_flags(u64 f)
{
	return (u32)(f & (0x400 | 0x1000));
}

/* fchownat's AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH, which PPM_AT_* equal. */
static __always_inline u32 fchownat_flags(u64 f)
{
	return (u32)(f & (0x100 | 0x1000));
}

/* umount2's MNT_FORCE, MNT_DETACH, MNT_EXPIRE and UMOUNT_NOFOLLOW, which PPM_* equal. */
static __always_inline u32 umount2_flags(u64 f)
{
	return (u32)(f & 0xf);
}

/* memfd_create's MFD_CLOEXEC, MFD_ALLOW_SEALING and MFD_HUGETLB, which PPM_* equal. */
static __always_inline u32 memfd_flags(u64 f)
{
	return (u32)(f & 0x7);
}

/* dup3's flags as libs' dup3_flags_to_scap: PPM_O_CLOEXEC (1 << 12) when O_CLOEXEC is set. */
static __always_inline u32 dup3_flags(u64 f)
{
	return (f & 02000000) ? (1u << 12) : 0;
}

/* pipe2's flags (O_NONBLOCK, O_CLOEXEC, O_DIRECT ...) as PPM_O_* file flags, without the
 * access mode. */
static __always_inline u32 pipe2_flags(u64 f)
{
	return open_flags(f) & ~3u;
}

/* fcntl F_* command to PPM_FCNTL_* (0: unknown). */
static __always_inline u8 fcntl_cmd(u64 cmd)
{
	switch (cmd) {
	case 0: return 1;     /* F_DUPFD */
	case 1: return 2;     /* F_GETFD */
	case 2: return 3;     /* F_SETFD */
	case 3: return 4;     /* F_GETFL */
	case 4: return 5;     /* F_SETFL */
	case 5: return 6;     /* F_GETLK */
	case 6: return 8;     /* F_SETLK */
	case 7: return 9;     /* F_SETLKW */
	case 8: return 10;    /* F_SETOWN */
	case 9: return 12;    /* F_GETOWN */
	case 10: return 13;   /* F_SETSIG */
	case 11: return 15;   /* F_GETSIG */
	case 15: return 21;   /* F_SETOWN_EX */
	case 16: return 22;   /* F_GETOWN_EX */
	case 1024: return 23; /* F_SETLEASE */
	case 1025: return 24; /* F_GETLEASE */
	case 1029: return 25; /* F_CANCELLK */
	case 1030: return 26; /* F_DUPFD_CLOEXEC */
	case 1026: return 27; /* F_NOTIFY */
	case 1031: return 28; /* F_SETPIPE_SZ */
	case 1032: return 29; /* F_GETPIPE_SZ */
	case 36: return 30;   /* F_OFD_GETLK */
	case 37: return 31;   /* F_OFD_SETLK */
	case 38: return 32;   /* F_OFD_SETLKW */
	default: return 0;
	}
}

/* mount flags: PPM_MS_* are the MS_* bits, without the historic magic in the top half. */
static __always_inline u32 mount_flags(u64 f)
{
	if ((f & 0xffff0000) == 0xc0ed0000)
		return (u32)(f & 0xffff);
	return (u32)f;
}

/* creat's creat_flags: PPM_FD_UPPER_LAYER_CREAT / PPM_FD_LOWER_LAYER_CREAT. */
#define FD_UPPER_LAYER_CREAT ((u16)(1 << 0))
#define FD_LOWER_LAYER_CREAT ((u16)(1 << 1))
