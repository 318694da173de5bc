//! Turns a capture's metadata blocks into the state's bootstrap tables.

use falco_scap::meta::{fd_type, CaptureMetadata, FdInfo as ScapFd, IfAddr, ThreadEntry};
use falco_sinsp::state::fd::l4;
use falco_sinsp::state::{Bootstrap, FdInfo, FdKind, GroupInfo, IpAddr, ThreadInfo, UserInfo};

/// Splits a NUL-separated list (argv, env) into strings, dropping the empty tail.
fn nul_list(bytes: &[u8]) -> Vec<String> {
    let mut parts: Vec<String> = bytes
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

fn thread(t: &ThreadEntry) -> ThreadInfo {
    let cgroups = nul_list(&t.cgroups)
        .into_iter()
        .filter_map(|c| {
            c.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    ThreadInfo {
        tid: t.tid as i64,
        pid: t.pid as i64,
        ptid: t.ptid as i64,
        sid: t.sid as i64,
        vpgid: t.vpgid as i64,
        pgid: t.pgid,
        comm: t.comm.clone(),
        exe: t.exe.clone(),
        exepath: t.exepath.clone(),
        args: nul_list(&t.args),
        cwd: t.cwd.clone(),
        uid: t.uid,
        gid: t.gid,
        loginuid: t.loginuid,
        vtid: t.vtid,
        vpid: t.vpid,
        cgroups,
        root: t.root.clone(),
        tty: t.tty,
        env: nul_list(&t.env),
        flags: t.flags,
        cap_inheritable: t.cap_inheritable,
        cap_permitted: t.cap_permitted,
        cap_effective: t.cap_effective,
        exe_writable: t.exe_writable,
        exe_upper_layer: t.exe_upper_layer,
        exe_lower_layer: t.exe_lower_layer,
        exe_from_memfd: t.exe_from_memfd,
        exe_ino: t.exe_ino,
        exe_ino_ctime: t.exe_ino_ctime,
        exe_ino_mtime: t.exe_ino_mtime,
        pidns_init_start_ts: t.pidns_init_start_ts,
        fdlimit: t.fdlimit as i64,
        vmsize_kb: t.vmsize_kb,
        vmrss_kb: t.vmrss_kb,
        vmswap_kb: t.vmswap_kb,
        pfmajor: t.pfmajor,
        pfminor: t.pfminor,
        ..ThreadInfo::default()
    }
}

fn ipv4(a: u32) -> IpAddr {
    IpAddr::V4(a.to_le_bytes())
}

fn ip_text(a: &IpAddr) -> String {
    match a {
        IpAddr::V4(b) => std::net::Ipv4Addr::from(*b).to_string(),
        IpAddr::V6(b) => std::net::Ipv6Addr::from(*b).to_string(),
    }
}

/// libsinsp's l4 protocol numbers from the scap fd list's (IPPROTO-derived) byte.
/// A capture's `scap_l4_proto` (0 unknown, 1 not available, 2 TCP, 3 UDP, 4 ICMP, 5 raw) as
/// the state's protocol.
fn l4proto(p: u8) -> u8 {
    match p {
        2 => l4::TCP,
        3 => l4::UDP,
        4 => l4::ICMP,
        5 => l4::RAW,
        _ => l4::UNKNOWN,
    }
}

/// The state's protocol as a capture's `scap_l4_proto`, the inverse of [`l4proto`].
pub(crate) fn scap_l4proto(p: u8) -> u8 {
    match p {
        l4::TCP => 2,
        l4::UDP => 3,
        l4::ICMP => 4,
        l4::RAW => 5,
        _ => 0,
    }
}

fn fd(entry: &falco_scap::meta::FdEntry) -> FdInfo {
    let mut info = FdInfo {
        fd: entry.fd,
        ino: entry.ino,
        kind: FdKind::from_scap_type(entry.fd_type),
        ..FdInfo::default()
    };
    match &entry.info {
        ScapFd::Ipv4Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto: p,
        } => {
            let (c, s) = (ipv4(*sip), ipv4(*dip));
            info.name = format!("{}:{}->{}:{}", ip_text(&c), sport, ip_text(&s), dport);
            info.kind = FdKind::Ip {
                cip: c,
                cport: *sport,
                sip: s,
                sport: *dport,
                l4proto: l4proto(*p),
            };
        }
        ScapFd::Ipv6Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto: p,
        } => {
            let (c, s) = (IpAddr::V6(*sip), IpAddr::V6(*dip));
            info.name = format!("{}:{}->{}:{}", ip_text(&c), sport, ip_text(&s), dport);
            info.kind = FdKind::Ip {
                cip: c,
                cport: *sport,
                sip: s,
                sport: *dport,
                l4proto: l4proto(*p),
            };
        }
        ScapFd::Ipv4ServerSocket {
            ip,
            port,
            l4proto: p,
        } => {
            let a = ipv4(*ip);
            info.name = format!("{}:{}", ip_text(&a), port);
            info.kind = FdKind::IpServer {
                ip: a,
                port: *port,
                l4proto: l4proto(*p),
            };
            // libs imports listed sockets without a role (bind, listen, connect and accept
            // give one): no fd.cproto.
            info.is_server = false;
        }
        ScapFd::Ipv6ServerSocket {
            ip,
            port,
            l4proto: p,
        } => {
            let a = IpAddr::V6(*ip);
            info.name = format!("{}:{}", ip_text(&a), port);
            info.kind = FdKind::IpServer {
                ip: a,
                port: *port,
                l4proto: l4proto(*p),
            };
            // libs imports listed sockets without a role (bind, listen, connect and accept
            // give one): no fd.cproto.
            info.is_server = false;
        }
        ScapFd::UnixSocket { source, dest, path } => {
            info.kind = FdKind::Unix {
                source: *source,
                dest: *dest,
            };
            info.name = path.clone();
            // libs' fd-list import: a unix socket with a path is a server, one without a
            // client.
            info.is_server = !path.is_empty();
            info.is_client = path.is_empty();
        }
        ScapFd::FileV2 {
            open_flags,
            name,
            dev,
        } => {
            info.open_flags = *open_flags;
            info.name = name.clone();
            info.dev = dev.unwrap_or(0);
        }
        ScapFd::Named { name } => info.name = name.clone(),
        ScapFd::Unknown { .. } => info.kind = FdKind::from_scap_type(fd_type::UNSUPPORTED),
    }
    info.nameraw = info.name.clone();
    info
}

/// The state's starting point from a capture's process, fd, user and machine blocks.
pub fn from_capture(meta: &CaptureMetadata) -> Bootstrap {
    let mut fds = Vec::new();
    for list in &meta.fd_lists {
        for e in &list.fds {
            fds.push((list.tid as i64, fd(e)));
        }
    }
    Bootstrap {
        threads: meta.threads.iter().map(thread).collect(),
        fds,
        users: meta
            .users
            .iter()
            .map(|u| UserInfo {
                uid: u.uid,
                gid: u.gid,
                name: u.name.clone(),
                homedir: u.homedir.clone(),
                shell: u.shell.clone(),
            })
            .collect(),
        groups: meta
            .groups
            .iter()
            .map(|g| GroupInfo {
                gid: g.gid,
                name: g.name.clone(),
            })
            .collect(),
        hostname: meta
            .machine
            .as_ref()
            .map(|m| m.hostname.clone())
            .unwrap_or_default(),
        boot_ts: meta.machine.as_ref().map(|m| m.boot_ts_epoch).unwrap_or(0),
        interfaces: meta
            .interfaces
            .iter()
            .map(|i| match i.addr {
                IfAddr::V4 { addr, .. } => ipv4(addr),
                IfAddr::V6 { addr, .. } => IpAddr::V6(addr),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falco_scap::meta::FdEntry;

    /// libs' fd-list import gives unix sockets a role (a path: server, none: client) and
    /// listening IP sockets none.
    #[test]
    fn listed_sockets_get_libs_roles() {
        let unix = |path: &str| ScapFd::UnixSocket {
            source: 1,
            dest: 2,
            path: path.into(),
        };
        let cases: [(u8, ScapFd, bool, bool); 3] = [
            (fd_type::UNIX_SOCK, unix(""), false, true),
            (fd_type::UNIX_SOCK, unix("/run/sock"), true, false),
            (
                fd_type::IPV4_SERVSOCK,
                ScapFd::Ipv4ServerSocket {
                    ip: 0,
                    port: 22,
                    l4proto: 1,
                },
                false,
                false,
            ),
        ];
        for (fd_type, info, server, client) in cases {
            let entry = FdEntry {
                fd: 3,
                ino: 0,
                fd_type,
                info: info.clone(),
            };
            let got = fd(&entry);
            assert_eq!((got.is_server, got.is_client), (server, client), "{info:?}");
        }
    }
}
