//! Typed reads of event parameters, tolerant of missing or short values: a parameter index
//! past `nparams` (old captures carry fewer parameters) or an empty value reads as `None`.

use ringbuf_abi::{EventInfo, ParamInfo, ParamType, PrintFormat, Record, EVENT_TABLE};

/// Strips the terminating NUL (and anything after the first NUL) of a string parameter.
#[inline]
pub fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// Reads a little-endian unsigned integer of 1, 2, 4 or 8 bytes.
#[inline]
pub fn uint_le(b: &[u8]) -> Option<u64> {
    Some(match b.len() {
        1 => b[0] as u64,
        2 => u16::from_le_bytes([b[0], b[1]]) as u64,
        4 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64,
        8 => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        _ => return None,
    })
}

/// Reads a little-endian signed integer of 1, 2, 4 or 8 bytes, sign-extending.
#[inline]
pub fn int_le(b: &[u8]) -> Option<i64> {
    Some(match b.len() {
        1 => b[0] as i8 as i64,
        2 => i16::from_le_bytes([b[0], b[1]]) as i64,
        4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
        8 => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        _ => return None,
    })
}

/// True for parameter types whose integer value is signed.
pub fn is_signed(t: ParamType) -> bool {
    use ParamType::*;
    matches!(
        t,
        Int8 | Int16 | Int32 | Int64 | Errno | Fd | Pid | Fd32 | Pid32
    )
}

/// Socket families as the driver encodes them (`PPM_AF_*`).
pub mod af {
    /// `PPM_AF_UNSPEC`.
    pub const UNSPEC: u8 = 0;
    /// `PPM_AF_UNIX`.
    pub const UNIX: u8 = 1;
    /// `PPM_AF_INET`.
    pub const INET: u8 = 2;
    /// `PPM_AF_INET6`.
    pub const INET6: u8 = 10;
    /// `PPM_AF_NETLINK`.
    pub const NETLINK: u8 = 16;
}

/// A decoded `PT_SOCKADDR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// IPv4 address (network order) and port.
    Inet([u8; 4], u16),
    /// IPv6 address and port.
    Inet6([u8; 16], u16),
    /// Unix socket path (without NUL).
    Unix(&'a [u8]),
    /// Another family.
    Other(u8),
}

/// Decodes a `PT_SOCKADDR` value.
pub fn sockaddr(b: &[u8]) -> Option<SockAddr<'_>> {
    let (&fam, rest) = b.split_first()?;
    match fam {
        af::INET if rest.len() >= 6 => {
            let ip = [rest[0], rest[1], rest[2], rest[3]];
            Some(SockAddr::Inet(ip, u16::from_le_bytes([rest[4], rest[5]])))
        }
        af::INET6 if rest.len() >= 18 => {
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&rest[..16]);
            Some(SockAddr::Inet6(
                ip,
                u16::from_le_bytes([rest[16], rest[17]]),
            ))
        }
        af::UNIX => Some(SockAddr::Unix(cstr(rest))),
        _ => Some(SockAddr::Other(fam)),
    }
}

/// A decoded `PT_SOCKTUPLE`: source and destination as the kernel reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockTuple<'a> {
    /// IPv4: source ip, source port, destination ip, destination port.
    Inet([u8; 4], u16, [u8; 4], u16),
    /// IPv6: source ip, source port, destination ip, destination port.
    Inet6([u8; 16], u16, [u8; 16], u16),
    /// Unix: source and destination kernel pointers and the path.
    Unix(u64, u64, &'a [u8]),
    /// Another family.
    Other(u8),
}

/// libsinsp's `is_ipv4_mapped_ipv6`: `::ffff:a.b.c.d`, or the all-zero address, which is
/// taken as IPv4 too (an unconnected or disconnected end of a v6 socket used for IPv4).
pub fn is_v4_mapped(a: &[u8; 16]) -> bool {
    a[..10].iter().all(|&b| b == 0)
        && ((a[10] == 0xff && a[11] == 0xff) || a[10..].iter().all(|&b| b == 0))
}

/// Decodes a `PT_SOCKTUPLE` value.
pub fn socktuple(b: &[u8]) -> Option<SockTuple<'_>> {
    let (&fam, r) = b.split_first()?;
    match fam {
        af::INET if r.len() >= 12 => Some(SockTuple::Inet(
            [r[0], r[1], r[2], r[3]],
            u16::from_le_bytes([r[4], r[5]]),
            [r[6], r[7], r[8], r[9]],
            u16::from_le_bytes([r[10], r[11]]),
        )),
        af::INET6 if r.len() >= 36 => {
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s.copy_from_slice(&r[..16]);
            d.copy_from_slice(&r[18..34]);
            Some(SockTuple::Inet6(
                s,
                u16::from_le_bytes([r[16], r[17]]),
                d,
                u16::from_le_bytes([r[34], r[35]]),
            ))
        }
        af::UNIX if r.len() >= 16 => Some(SockTuple::Unix(
            uint_le(&r[..8])?,
            uint_le(&r[8..16])?,
            cstr(&r[16..]),
        )),
        _ => Some(SockTuple::Other(fam)),
    }
}

/// A record together with its schema, with reads by parameter index or name.
#[derive(Clone, Copy, Debug)]
pub struct Params<'a> {
    /// The record.
    pub rec: Record<'a>,
    /// Its schema (`None` for ids past the table).
    pub info: Option<&'static EventInfo>,
}

impl<'a> Params<'a> {
    /// Wraps a record.
    pub fn new(rec: Record<'a>) -> Params<'a> {
        Params {
            rec,
            info: EVENT_TABLE.get(rec.evtype() as usize),
        }
    }

    /// Index of the parameter called `name` in this event's schema. Parameter names are
    /// short and mostly differ in length or first byte, which are compared before the bytes
    /// (this runs several times per event).
    #[inline]
    pub fn index(&self, name: &str) -> Option<usize> {
        let want = name.as_bytes();
        let first = *want.first()?;
        self.info?.params.iter().position(|p| {
            let have = p.name.as_bytes();
            have.len() == want.len() && have[0] == first && have == want
        })
    }

    /// Raw bytes of parameter `i`; `None` when absent or empty.
    #[inline]
    pub fn raw(&self, i: usize) -> Option<&'a [u8]> {
        self.rec.param(i).filter(|b| !b.is_empty())
    }

    /// Parameter `i` as a signed integer.
    #[inline]
    pub fn int(&self, i: usize) -> Option<i64> {
        let b = self.raw(i)?;
        let signed = self
            .info
            .and_then(|inf| inf.params.get(i))
            .map(|p| is_signed(p.ptype))
            .unwrap_or(true);
        if signed {
            int_le(b)
        } else {
            uint_le(b).map(|v| v as i64)
        }
    }

    /// Parameter `i` as an unsigned integer.
    #[inline]
    pub fn uint(&self, i: usize) -> Option<u64> {
        uint_le(self.raw(i)?)
    }

    /// Parameter `i` as a string without its NUL.
    #[inline]
    pub fn str(&self, i: usize) -> Option<&'a [u8]> {
        self.raw(i).map(cstr)
    }

    /// Signed integer parameter by name.
    #[inline]
    pub fn int_named(&self, name: &str) -> Option<i64> {
        self.int(self.index(name)?)
    }

    /// Unsigned integer parameter by name.
    #[inline]
    pub fn uint_named(&self, name: &str) -> Option<u64> {
        self.uint(self.index(name)?)
    }

    /// String parameter by name.
    #[inline]
    pub fn str_named(&self, name: &str) -> Option<&'a [u8]> {
        self.str(self.index(name)?)
    }

    /// Raw parameter by name.
    #[inline]
    pub fn raw_named(&self, name: &str) -> Option<&'a [u8]> {
        self.raw(self.index(name)?)
    }

    /// Raw parameter by name, empty values included: `None` only when the record does not
    /// carry the parameter. An execve whose `args` is empty (`argv = {"id"}`) is not the same
    /// as an event without `args`.
    #[inline]
    pub fn present_named(&self, name: &str) -> Option<&'a [u8]> {
        self.rec.param(self.index(name)?)
    }
}

/// Splits a NUL-separated list (execve `args`, `env`, `cgroups`) into its items, dropping
/// the empty item after a trailing NUL.
pub fn split_nul(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    let empty = b.is_empty();
    b.split(|&c| c == 0).filter(move |_| !empty)
}

/// The parameter description a `PT_DYN` value selects: its first byte indexes the table named
/// by the parameter's `info` (libs' `*_dynamic_param` arrays); the rest is the value.
pub fn dyn_param<'a>(info: &ParamInfo, raw: &'a [u8]) -> Option<(&'static ParamInfo, &'a [u8])> {
    const fn p(ptype: ParamType, fmt: PrintFormat) -> ParamInfo {
        ParamInfo {
            name: "",
            ptype,
            fmt,
            info: "",
        }
    }
    const PTRACE: &[ParamInfo] = &[
        p(ParamType::Uint64, PrintFormat::Hex), // PPM_PTRACE_IDX_UINT64
        p(ParamType::Sigtype, PrintFormat::Dec), // PPM_PTRACE_IDX_SIGTYPE
    ];
    const BPF: &[ParamInfo] = &[
        p(ParamType::Fd, PrintFormat::Dec),    // PPM_BPF_IDX_FD
        p(ParamType::Errno, PrintFormat::Dec), // PPM_BPF_IDX_RES
    ];
    const SOCKOPT: &[ParamInfo] = &[
        p(ParamType::Bytebuf, PrintFormat::Hex), // PPM_SOCKOPT_IDX_UNKNOWN
        p(ParamType::Errno, PrintFormat::Dec),   // PPM_SOCKOPT_IDX_ERRNO
        p(ParamType::Uint32, PrintFormat::Dec),  // PPM_SOCKOPT_IDX_UINT32
        p(ParamType::Uint64, PrintFormat::Dec),  // PPM_SOCKOPT_IDX_UINT64
        p(ParamType::Reltime, PrintFormat::Dec), // PPM_SOCKOPT_IDX_TIMEVAL
    ];
    let table: &'static [ParamInfo] = match info.info {
        "ptrace_dynamic_param" => PTRACE,
        "bpf_dynamic_param" => BPF,
        "sockopt_dynamic_param" => SOCKOPT,
        _ => return None,
    };
    let (&idx, value) = raw.split_first()?;
    table.get(idx as usize).map(|sub| (sub, value))
}
