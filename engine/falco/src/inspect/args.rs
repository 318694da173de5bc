//! Decoding of event parameters into text, per parameter type (sysdig-like `name=value`).

use std::fmt::Write;

use ringbuf_abi::{EventInfo, ParamInfo, ParamType, PrintFormat, Record};

/// Appends the value of one parameter to `out`. Empty parameters print as `<NA>`.
pub fn format_param(out: &mut String, info: Option<&ParamInfo>, v: &[u8]) {
    if v.is_empty() {
        out.push_str("<NA>");
        return;
    }
    let Some(p) = info else {
        bytes_printable(out, v);
        return;
    };
    let fmt = p.fmt;
    let signed = matches!(
        p.ptype,
        ParamType::Int8
            | ParamType::Int16
            | ParamType::Int32
            | ParamType::Int64
            | ParamType::Errno
            | ParamType::Fd
            | ParamType::Pid
            | ParamType::Fd32
            | ParamType::Pid32
    );
    if signed && matches!(fmt, PrintFormat::Hex) {
        // Hex of a signed value: the bytes as stored (two's complement of its own width).
        uint(out, fmt, le_u(v));
        return;
    }
    match p.ptype {
        ParamType::Int8 => int(out, fmt, le_i(v, 1)),
        ParamType::Int16 => int(out, fmt, le_i(v, 2)),
        ParamType::Int32 => int(out, fmt, le_i(v, 4)),
        ParamType::Int64 | ParamType::Errno | ParamType::Fd | ParamType::Pid => {
            int(out, fmt, le_i(v, 8))
        }
        ParamType::Fd32 | ParamType::Pid32 => int(out, fmt, le_i(v, 4)),
        ParamType::Uint8
        | ParamType::Uint16
        | ParamType::Uint32
        | ParamType::Uint64
        | ParamType::Flags8
        | ParamType::Flags16
        | ParamType::Flags32
        | ParamType::Enumflags8
        | ParamType::Enumflags16
        | ParamType::Enumflags32
        | ParamType::Mode
        | ParamType::Uid
        | ParamType::Gid
        | ParamType::Sigtype
        | ParamType::Sigset
        | ParamType::Syscallid
        | ParamType::Port
        | ParamType::L4proto
        | ParamType::Sockfamily
        | ParamType::Reltime
        | ParamType::Abstime => uint(out, fmt, le_u(v)),
        ParamType::Bool => out.push_str(if le_u(v) != 0 { "true" } else { "false" }),
        ParamType::Double => {
            if let Ok(b) = <[u8; 8]>::try_from(v) {
                let _ = write!(out, "{}", f64::from_le_bytes(b));
            } else {
                bytes_printable(out, v);
            }
        }
        ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath => {
            let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
            out.push_str(&String::from_utf8_lossy(&v[..end]));
        }
        ParamType::Ipv4addr if v.len() == 4 => ipv4(out, v),
        ParamType::Ipv6addr if v.len() == 16 => ipv6(out, v),
        ParamType::Ipaddr | ParamType::Ipnet | ParamType::Ipv4net | ParamType::Ipv6net => {
            match v.len() {
                4 => ipv4(out, v),
                16 => ipv6(out, v),
                _ => bytes_printable(out, v),
            }
        }
        ParamType::Sockaddr => sockaddr(out, v),
        ParamType::Socktuple => socktuple(out, v),
        ParamType::Fdlist => fdlist(out, v),
        // The value's type and format are those its index byte selects (ptrace addr/data...).
        ParamType::Dyn => match falco_sinsp::params::dyn_param(p, v) {
            Some((sub, value)) => format_param(out, Some(sub), value),
            None => bytes_printable(out, v),
        },
        _ => bytes_printable(out, v),
    }
}

/// Appends all parameters of `rec` as `name=value` separated by spaces.
pub fn format_args(out: &mut String, info: Option<&EventInfo>, rec: &Record<'_>) {
    for (i, v) in rec.params().iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let p = info.and_then(|e| e.params.get(i));
        match p {
            Some(p) => out.push_str(p.name),
            None => {
                let _ = write!(out, "arg{i}");
            }
        }
        out.push('=');
        format_param(out, p, v);
    }
}

fn le_u(v: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = v.len().min(8);
    b[..n].copy_from_slice(&v[..n]);
    u64::from_le_bytes(b)
}

/// Sign-extends a little-endian integer of `size` bytes (or of the bytes present).
fn le_i(v: &[u8], size: usize) -> i64 {
    let n = v.len().min(size).min(8);
    if n == 0 {
        return 0;
    }
    let u = le_u(&v[..n]);
    let shift = 64 - 8 * n as u32;
    ((u << shift) as i64) >> shift
}

fn int(out: &mut String, fmt: PrintFormat, x: i64) {
    match fmt {
        PrintFormat::Hex => {
            let _ = write!(out, "{:X}", x);
        }
        PrintFormat::Oct => {
            let _ = write!(out, "0{:o}", x);
        }
        _ => {
            let _ = write!(out, "{x}");
        }
    }
}

fn uint(out: &mut String, fmt: PrintFormat, x: u64) {
    match fmt {
        // As sysdig (`dev=FE00`, ptrace `addr=7FFD12345678`): uppercase, no prefix.
        PrintFormat::Hex => {
            let _ = write!(out, "{:X}", x);
        }
        PrintFormat::Oct => {
            let _ = write!(out, "0{:o}", x);
        }
        _ => {
            let _ = write!(out, "{x}");
        }
    }
}

fn bytes_printable(out: &mut String, v: &[u8]) {
    out.extend(v.iter().map(|&c| {
        if (0x20..0x7f).contains(&c) {
            c as char
        } else {
            '.'
        }
    }));
}

fn ipv4(out: &mut String, v: &[u8]) {
    let _ = write!(out, "{}.{}.{}.{}", v[0], v[1], v[2], v[3]);
}

fn ipv6(out: &mut String, v: &[u8]) {
    let mut a = [0u8; 16];
    a.copy_from_slice(&v[..16]);
    let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
}

const AF_UNIX: u8 = 1;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

fn port(v: &[u8]) -> u16 {
    u16::from_le_bytes([v[0], v[1]])
}

fn sockaddr(out: &mut String, v: &[u8]) {
    match (v[0], v.len()) {
        (AF_INET, 7..) => {
            ipv4(out, &v[1..5]);
            let _ = write!(out, ":{}", port(&v[5..7]));
        }
        (AF_INET6, 19..) => {
            ipv6(out, &v[1..17]);
            let _ = write!(out, ":{}", port(&v[17..19]));
        }
        (AF_UNIX, _) => {
            let p = &v[1..];
            let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
            out.push_str(&String::from_utf8_lossy(&p[..end]));
        }
        _ => bytes_printable(out, v),
    }
}

fn socktuple(out: &mut String, v: &[u8]) {
    match (v[0], v.len()) {
        (AF_INET, 13..) => {
            ipv4(out, &v[1..5]);
            let _ = write!(out, ":{}->", port(&v[5..7]));
            ipv4(out, &v[7..11]);
            let _ = write!(out, ":{}", port(&v[11..13]));
        }
        (AF_INET6, 37..) => {
            ipv6(out, &v[1..17]);
            let _ = write!(out, ":{}->", port(&v[17..19]));
            ipv6(out, &v[19..35]);
            let _ = write!(out, ":{}", port(&v[35..37]));
        }
        (AF_UNIX, 17..) => {
            let _ = write!(out, "{:x}->{:x} ", le_u(&v[1..9]), le_u(&v[9..17]));
            let p = &v[17..];
            let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
            out.push_str(&String::from_utf8_lossy(&p[..end]));
        }
        _ => bytes_printable(out, v),
    }
}

fn fdlist(out: &mut String, v: &[u8]) {
    if v.len() < 2 {
        bytes_printable(out, v);
        return;
    }
    let n = u16::from_le_bytes([v[0], v[1]]) as usize;
    for (i, e) in v[2..].chunks_exact(10).take(n).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(
            out,
            "{}:{}",
            le_i(&e[..8], 8),
            u16::from_le_bytes([e[8], e[9]])
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ptype: ParamType, fmt: PrintFormat) -> ParamInfo {
        ParamInfo {
            name: "x",
            ptype,
            fmt,
            info: "",
        }
    }

    #[test]
    fn formats_by_type() {
        let cases: &[(ParamType, PrintFormat, &[u8], &str)] = &[
            (
                ParamType::Errno,
                PrintFormat::Dec,
                &(-2i64).to_le_bytes(),
                "-2",
            ),
            (
                ParamType::Uint32,
                PrintFormat::Hex,
                &255u32.to_le_bytes(),
                "FF",
            ),
            (
                ParamType::Uint32,
                PrintFormat::Oct,
                &0o644u32.to_le_bytes(),
                "0644",
            ),
            (
                ParamType::Fspath,
                PrintFormat::Na,
                b"/etc/passwd\0",
                "/etc/passwd",
            ),
            (ParamType::Bytebuf, PrintFormat::Na, b"ab\ncd", "ab.cd"),
            (
                ParamType::Sockaddr,
                PrintFormat::Na,
                &[2, 127, 0, 0, 1, 80, 0],
                "127.0.0.1:80",
            ),
            (
                ParamType::Socktuple,
                PrintFormat::Na,
                &[2, 10, 0, 0, 1, 0x39, 0x30, 10, 0, 0, 2, 80, 0],
                "10.0.0.1:12345->10.0.0.2:80",
            ),
            (ParamType::Int8, PrintFormat::Dec, &[0xff], "-1"),
            (ParamType::Fspath, PrintFormat::Na, b"", "<NA>"),
        ];
        for (ty, fmt, v, want) in cases {
            let mut s = String::new();
            format_param(&mut s, Some(&p(*ty, *fmt)), v);
            assert_eq!(&s, want, "{ty:?}");
        }
    }
}
