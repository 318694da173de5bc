// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Types describing the event schema: parameter types, print formats, categories and flags.
//!
//! The numeric values are libs' (`driver/ppm_events_public.h`), so they can be stored in files
//! and exchanged with other scap readers unchanged.

/// A parameter's on-wire type (`PT_*`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ParamType {
    None = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Uint8 = 5,
    Uint16 = 6,
    Uint32 = 7,
    Uint64 = 8,
    Charbuf = 9,
    Bytebuf = 10,
    Errno = 11,
    Sockaddr = 12,
    Socktuple = 13,
    Fd = 14,
    Pid = 15,
    Fdlist = 16,
    Fspath = 17,
    Syscallid = 18,
    Sigtype = 19,
    Reltime = 20,
    Abstime = 21,
    Port = 22,
    L4proto = 23,
    Sockfamily = 24,
    Bool = 25,
    Ipv4addr = 26,
    Dyn = 27,
    Flags8 = 28,
    Flags16 = 29,
    Flags32 = 30,
    Uid = 31,
    Gid = 32,
    Double = 33,
    Sigset = 34,
    Charbufarray = 35,
    CharbufPairArray = 36,
    Ipv4net = 37,
    Ipv6addr = 38,
    Ipv6net = 39,
    Ipaddr = 40,
    Ipnet = 41,
    Mode = 42,
    Fsrelpath = 43,
    Enumflags8 = 44,
    Enumflags16 = 45,
    Enumflags32 = 46,
    Fd32 = 47,
    Pid32 = 48,
}

impl ParamType {
    /// The fixed on-wire size of a value of this type, or `None` for variable-length types.
    pub const fn fixed_size(self) -> Option<usize> {
        use ParamType::*;
        match self {
            Int8 | Uint8 | Flags8 | Sigtype | L4proto | Sockfamily | Enumflags8 => Some(1),
            Int16 | Uint16 | Syscallid | Port | Flags16 | Enumflags16 => Some(2),
            Int32 | Uint32 | Bool | Ipv4addr | Uid | Gid | Flags32 | Sigset | Mode
            | Enumflags32 | Fd32 | Pid32 => Some(4),
            Int64 | Uint64 | Errno | Fd | Pid | Reltime | Abstime | Double => Some(8),
            Ipv6addr => Some(16),
            _ => Option::None,
        }
    }

    /// True for the NUL-terminated string types (`CHARBUF`, `FSPATH`, `FSRELPATH`).
    pub const fn is_string(self) -> bool {
        matches!(
            self,
            ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath
        )
    }
}

/// How a parameter is printed (`PF_*`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum PrintFormat {
    Na = 0,
    Dec = 1,
    Hex = 2,
    N10PaddedDec = 3,
    Id = 4,
    Dir = 5,
    Oct = 6,
}

/// Whether an event is the entry or the exit half of a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `>` in sysdig output; even event ids.
    Enter,
    /// `<` in sysdig output; odd event ids.
    Exit,
}

impl Direction {
    /// The character sysdig prints for `evt.dir`.
    pub const fn as_char(self) -> char {
        match self {
            Direction::Enter => '>',
            Direction::Exit => '<',
        }
    }
}

/// One parameter of an event schema.
#[derive(Clone, Copy, Debug)]
pub struct ParamInfo {
    /// Parameter name as used by `evt.arg.NAME`.
    pub name: &'static str,
    /// On-wire type.
    pub ptype: ParamType,
    /// Print format.
    pub fmt: PrintFormat,
    /// Name of the flag/enum table or dynamic-parameter table (libs' `info`), or "".
    pub info: &'static str,
}

/// The schema of one event id.
#[derive(Clone, Copy, Debug)]
pub struct EventInfo {
    /// Event id (`PPME_*` value).
    pub id: u16,
    /// libs' constant name, e.g. `PPME_SYSCALL_OPEN_X`.
    pub code: &'static str,
    /// Event name as printed by `evt.type`, e.g. `open`.
    pub name: &'static str,
    /// Enter or exit.
    pub direction: Direction,
    /// `category::EC_*` bits.
    pub category: u32,
    /// `flags::EF_*` bits.
    pub flags: u32,
    /// Parameters in on-wire order.
    pub params: &'static [ParamInfo],
}

impl EventInfo {
    /// True when the parameter lengths of this event are u32 instead of u16.
    pub const fn is_large_payload(&self) -> bool {
        self.flags & flags::EF_LARGE_PAYLOAD != 0
    }
    /// True for a superseded layout that only old captures contain.
    pub const fn is_old_version(&self) -> bool {
        self.flags & flags::EF_OLD_VERSION != 0
    }
    /// True for an unused slot.
    pub const fn is_unused(&self) -> bool {
        self.flags & flags::EF_UNUSED != 0
    }
}

/// Event categories (`EC_*`).
#[allow(missing_docs)]
pub mod category {
    pub const EC_UNKNOWN: u32 = 0;
    pub const EC_OTHER: u32 = 1;
    pub const EC_FILE: u32 = 2;
    pub const EC_NET: u32 = 3;
    pub const EC_IPC: u32 = 4;
    pub const EC_MEMORY: u32 = 5;
    pub const EC_PROCESS: u32 = 6;
    pub const EC_SLEEP: u32 = 7;
    pub const EC_SYSTEM: u32 = 8;
    pub const EC_SIGNAL: u32 = 9;
    pub const EC_USER: u32 = 10;
    pub const EC_TIME: u32 = 11;
    pub const EC_PROCESSING: u32 = 12;
    pub const EC_IO_READ: u32 = 32;
    pub const EC_IO_WRITE: u32 = 33;
    pub const EC_IO_OTHER: u32 = 34;
    pub const EC_WAIT: u32 = 64;
    pub const EC_SCHEDULER: u32 = 128;
    pub const EC_INTERNAL: u32 = 256;
    pub const EC_SYSCALL: u32 = 512;
    pub const EC_TRACEPOINT: u32 = 1024;
    pub const EC_PLUGIN: u32 = 2048;
    pub const EC_METAEVENT: u32 = 4096;
    pub const EC_ITER: u32 = 8192;
}

/// Event flags (`EF_*`).
#[allow(missing_docs)]
pub mod flags {
    pub const EF_NONE: u32 = 0;
    pub const EF_CREATES_FD: u32 = 1 << 0;
    pub const EF_DESTROYS_FD: u32 = 1 << 1;
    pub const EF_USES_FD: u32 = 1 << 2;
    pub const EF_READS_FROM_FD: u32 = 1 << 3;
    pub const EF_WRITES_TO_FD: u32 = 1 << 4;
    pub const EF_MODIFIES_STATE: u32 = 1 << 5;
    pub const EF_UNUSED: u32 = 1 << 6;
    pub const EF_WAITS: u32 = 1 << 7;
    pub const EF_SKIPPARSERESET: u32 = 1 << 8;
    pub const EF_OLD_VERSION: u32 = 1 << 9;
    pub const EF_DROP_SIMPLE_CONS: u32 = 1 << 10;
    pub const EF_LARGE_PAYLOAD: u32 = 1 << 11;
    pub const EF_USED_BY_ENGINE: u32 = 1 << 12;
    pub const EF_CONVERTER_MANAGED: u32 = 1 << 13;
}
