//! Event arguments printed as libsinsp prints them: a plain form (`-100`, `3`, `4097`) and a
//! resolved form (`AT_FDCWD`, `<f>/etc/passwd`, `O_RDONLY|O_CLOEXEC`), combined as
//! `plain(resolved)` in `evt.args`; `evt.arg.X` shows the resolved form when there is one.

use std::io::Write;

use ringbuf_abi::{ParamInfo, ParamType, PrintFormat};

use super::names::{errno_name, flag_table, signal_name, write_flag_names, write_flags};
use crate::params::{
    dyn_param, int_le, is_v4_mapped, sockaddr, socktuple, uint_le, Params, SockAddr, SockTuple,
};
use crate::state::fd::{write_ip_port, IpAddr};
use crate::state::path;
use crate::state::snapshot::StateView;

const AT_FDCWD: i64 = -100;

/// Writes parameter `i` of the event: the plain form into `plain`, the resolved one into
/// `resolved` (left empty when there is none). Returns false when the parameter is absent.
pub fn render_param(
    st: &dyn StateView,
    tid: i64,
    p: &Params<'_>,
    i: usize,
    plain: &mut Vec<u8>,
    resolved: &mut Vec<u8>,
) -> bool {
    plain.clear();
    resolved.clear();
    let Some(info) = p.info.and_then(|inf| inf.params.get(i)) else {
        return false;
    };
    let Some(raw) = p.rec.param(i) else {
        return false;
    };
    if let Some(text) = empty_text(info.ptype, raw) {
        plain.extend_from_slice(text);
        return true;
    }
    render(st, tid, p, info, raw, plain, resolved);
    true
}

/// How libsinsp 0.25 prints a parameter that has no value (`sinsp_evt::get_param_as_str`):
/// an empty string or path, or the legacy `(NULL)` one, reads `<NA>` (libsinsp substitutes
/// `<NA>` as its value, so a path is not resolved either); an empty buffer, tuple, fd list,
/// string array or dynamic value `NULL`, as before the capture converter could leave any
/// parameter empty; an empty parameter of any other type `<NA>`. `None`: the parameter has a
/// value.
fn empty_text(ptype: ParamType, raw: &[u8]) -> Option<&'static [u8]> {
    use ParamType::*;
    match ptype {
        Charbuf | Fspath | Fsrelpath => {
            (raw.is_empty() || raw == b"(NULL)\0").then_some(b"<NA>".as_slice())
        }
        _ if !raw.is_empty() => Option::None,
        Bytebuf | Socktuple | Fdlist | Charbufarray | CharbufPairArray | Dyn => {
            Some(b"NULL".as_slice())
        }
        _ => Some(b"<NA>".as_slice()),
    }
}

fn number(info: &ParamInfo, raw: &[u8], plain: &mut Vec<u8>) {
    let signed = crate::params::is_signed(info.ptype);
    match info.fmt {
        PrintFormat::Hex => {
            // libsinsp prints hex uppercase without a prefix (sysdig: `dev=FE00`).
            let _ = write!(plain, "{:X}", uint_le(raw).unwrap_or(0));
        }
        PrintFormat::Oct => {
            let v = uint_le(raw).unwrap_or(0);
            let _ = if v == 0 {
                write!(plain, "0")
            } else {
                write!(plain, "{v:#o}").map(|_| ())
            };
            // `{:#o}` prints `0o755`; libsinsp prints `0755`.
            if let Some(pos) = plain.windows(2).position(|w| w == b"0o") {
                plain.remove(pos + 1);
            }
        }
        _ if signed => {
            let _ = write!(plain, "{}", int_le(raw).unwrap_or(0));
        }
        // libsinsp prints unsigned 32- and 64-bit values with `PRId32`/`PRId64`: as signed.
        _ if raw.len() == 8 => {
            let _ = write!(plain, "{}", uint_le(raw).unwrap_or(0) as i64);
        }
        _ if raw.len() == 4 => {
            let _ = write!(plain, "{}", uint_le(raw).unwrap_or(0) as u32 as i32);
        }
        _ => {
            let _ = write!(plain, "{}", uint_le(raw).unwrap_or(0));
        }
    }
}

/// `printf("%g")`: six significant digits, trailing zeros dropped, exponent form below 1e-4
/// or from 1e6 on.
fn format_g(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..6).contains(&exp) {
        let m = format!("{:.5e}", x);
        let (mant, e) = m.split_once('e').unwrap_or((&m, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mant.to_string()), e.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        trim(format!("{x:.decimals$}"))
    }
}

fn bytes_printable(raw: &[u8], out: &mut Vec<u8>) {
    for &c in raw {
        out.push(if c.is_ascii_graphic() || c == b' ' {
            c
        } else {
            b'.'
        });
    }
}

fn render(
    st: &dyn StateView,
    tid: i64,
    p: &Params<'_>,
    info: &ParamInfo,
    raw: &[u8],
    plain: &mut Vec<u8>,
    resolved: &mut Vec<u8>,
) {
    use ParamType::*;
    match info.ptype {
        Charbuf => plain.extend_from_slice(crate::params::cstr(raw)),
        Fspath | Fsrelpath => {
            let s = crate::params::cstr(raw);
            plain.extend_from_slice(s);
            // libsinsp resolves no `<NA>` path (a legacy empty one).
            if !s.is_empty() && s[0] != b'/' && s != b"<NA>" {
                // Relative: resolve against the dirfd named in `info` (DIRFD_PARAM(n)) or the cwd.
                let dirfd = info
                    .info
                    .strip_prefix("DIRFD_PARAM(")
                    .and_then(|x| x.strip_suffix(')'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| p.int(n));
                let base = match dirfd {
                    Some(d) if d != AT_FDCWD => st.fd_of(tid, d).map(|f| f.name.clone()),
                    _ => st.thread(tid).map(|t| t.cwd.clone()),
                };
                if let Some(base) = base {
                    resolved.extend_from_slice(path::resolve(&base, s).as_bytes());
                }
            }
        }
        Bytebuf => bytes_printable(raw, plain),
        Errno => {
            let v = int_le(raw).unwrap_or(0);
            let _ = write!(plain, "{v}");
            if v < 0 {
                if let Some(n) = errno_name(-v) {
                    resolved.extend_from_slice(n.as_bytes());
                }
            }
        }
        Fd | Fd32 => {
            let v = int_le(raw).unwrap_or(0);
            let _ = write!(plain, "{v}");
            if v == AT_FDCWD {
                resolved.extend_from_slice(b"AT_FDCWD");
            } else if v < 0 {
                if let Some(n) = errno_name(-v) {
                    resolved.extend_from_slice(n.as_bytes());
                }
            } else if let Some(f) = st.fd_of(tid, v) {
                resolved.push(b'<');
                resolved.push(f.kind.type_char());
                // libsinsp 0.25 (`render_fd`) follows an IP socket's type with its protocol.
                use crate::state::fd::{l4, FdKind};
                // An unconnected socket has no role yet, and libs no protocol for it.
                if let FdKind::Ip { l4proto, .. } | FdKind::IpServer { l4proto, .. } = f.kind {
                    match l4proto {
                        l4::TCP => resolved.push(b't'),
                        l4::UDP => resolved.push(b'u'),
                        l4::ICMP => resolved.push(b'i'),
                        l4::RAW => resolved.push(b'r'),
                        _ => {}
                    }
                }
                resolved.push(b'>');
                resolved.extend_from_slice(f.name.as_bytes());
            }
        }
        Pid | Pid32 => {
            let v = int_le(raw).unwrap_or(0);
            let _ = write!(plain, "{v}");
            if let Some(t) = st.thread(v) {
                resolved.extend_from_slice(t.comm.as_bytes());
            }
        }
        Uid | Gid => {
            // libsinsp 0.25: -1 (u32::MAX) reads `-1(<NONE>)`, an id without a named user or
            // group `N(<NA>)`; the id prints as a C `int`.
            let v = uint_le(raw).unwrap_or(0) as u32;
            if v == u32::MAX {
                plain.extend_from_slice(b"-1");
                resolved.extend_from_slice(b"<NONE>");
                return;
            }
            let _ = write!(plain, "{}", v as i32);
            let name = if info.ptype == Uid {
                st.user(v).map(|u| u.name.as_str())
            } else {
                st.group(v).map(|g| g.name.as_str())
            };
            match name {
                Some(n) if !n.is_empty() => resolved.extend_from_slice(n.as_bytes()),
                _ => resolved.extend_from_slice(b"<NA>"),
            }
        }
        Sigtype => {
            let v = uint_le(raw).unwrap_or(0);
            let _ = write!(plain, "{v}");
            if let Some(n) = signal_name(v) {
                resolved.extend_from_slice(n.as_bytes());
            }
        }
        Flags8 | Flags16 | Flags32 | Enumflags8 | Enumflags16 | Enumflags32 => {
            // Flags and enums print in decimal whatever the table's print format; the names
            // as libsinsp 0.25 finds them (`write_flag_names`).
            let v = uint_le(raw).unwrap_or(0) as u32;
            let _ = write!(plain, "{v}");
            if let Some(t) = flag_table(info.info) {
                let exact = matches!(info.ptype, Enumflags8 | Enumflags16 | Enumflags32);
                write_flag_names(resolved, t, v, exact);
            }
        }
        Mode => {
            number(info, raw, plain);
            if let Some(t) = flag_table(info.info) {
                write_flags(resolved, t, uint_le(raw).unwrap_or(0) as u32);
            }
        }
        Sockaddr => match sockaddr(raw) {
            Some(SockAddr::Inet(ip, port)) => write_ip_port(plain, &IpAddr::V4(ip), port),
            Some(SockAddr::Inet6(ip, port)) => write_ip_port(plain, &IpAddr::V6(ip), port),
            Some(SockAddr::Unix(path)) => plain.extend_from_slice(path),
            _ => {}
        },
        Socktuple => match socktuple(raw) {
            Some(SockTuple::Inet(a, ap, b, bp)) => {
                write_ip_port(plain, &IpAddr::V4(a), ap);
                plain.extend_from_slice(b"->");
                write_ip_port(plain, &IpAddr::V4(b), bp);
            }
            Some(SockTuple::Inet6(a, ap, b, bp)) => {
                // libsinsp prints a tuple whose ends are both v4-mapped as IPv4.
                let (a, b) = if is_v4_mapped(&a) && is_v4_mapped(&b) {
                    (
                        IpAddr::V4([a[12], a[13], a[14], a[15]]),
                        IpAddr::V4([b[12], b[13], b[14], b[15]]),
                    )
                } else {
                    (IpAddr::V6(a), IpAddr::V6(b))
                };
                write_ip_port(plain, &a, ap);
                plain.extend_from_slice(b"->");
                write_ip_port(plain, &b, bp);
            }
            Some(SockTuple::Unix(s, d, path)) => {
                let _ = write!(plain, "{s:x}->{d:x} ");
                plain.extend_from_slice(path);
            }
            _ => {}
        },
        Ipv4addr if raw.len() == 4 => {
            let _ = write!(plain, "{}.{}.{}.{}", raw[0], raw[1], raw[2], raw[3]);
        }
        Double if raw.len() == 8 => {
            let mut w = [0u8; 8];
            w.copy_from_slice(raw);
            let _ = write!(plain, "{}", f64::from_le_bytes(w));
        }
        Dyn => match dyn_param(info, raw) {
            // libsinsp prints the value with the type and format its index selects.
            Some((sub, value)) => render(st, tid, p, sub, value, plain, resolved),
            Option::None => bytes_printable(raw, plain),
        },
        Fdlist => {
            // u16 count, then (u64 fd, u16 flags) pairs: printed `fd:flags` space-separated.
            let n = raw.get(..2).and_then(uint_le).unwrap_or(0) as usize;
            for k in 0..n {
                let at = 2 + k * 10;
                let (Some(fd), Some(fl)) = (
                    raw.get(at..at + 8).and_then(int_le),
                    raw.get(at + 8..at + 10).and_then(uint_le),
                ) else {
                    break;
                };
                if k > 0 {
                    plain.push(b' ');
                }
                // libsinsp 0.25: the fd's type character (`?` when unknown) and the flags
                // in hex.
                let ch = st.fd_of(tid, fd).map_or(b'?', |f| f.kind.type_char());
                let _ = write!(plain, "{}:{}{fl:x}", fd as u64, ch as char);
            }
        }
        Reltime => {
            // -1 reads `none`; any other value its nanoseconds, resolved as seconds (`%lgs`).
            let v = uint_le(raw).unwrap_or(0);
            if v == u64::MAX {
                plain.extend_from_slice(b"none");
            } else {
                let _ = write!(plain, "{v}");
                resolved.extend_from_slice(format_g(v as f64 / 1e9).as_bytes());
                resolved.push(b's');
            }
        }
        Sigset => {
            // The names of the signals in the set, space-separated; nothing for none.
            let v = uint_le(raw).unwrap_or(0) as u32;
            let mut first = true;
            for sig in 0..32u64 {
                if v & (1 << sig) != 0 {
                    if let Some(n) = signal_name(sig + 1) {
                        if !first {
                            plain.push(b' ');
                        }
                        plain.extend_from_slice(n.as_bytes());
                        first = false;
                    }
                }
            }
        }
        _ => {
            if raw.len() <= 8 && matches!(raw.len(), 1 | 2 | 4 | 8) {
                number(info, raw, plain);
            } else {
                bytes_printable(raw, plain);
            }
        }
    }
}
