//! The reverse of `bootstrap`: the state's view of this host (from /proc and /etc) turned into
//! a capture's metadata blocks, so a live capture file carries its process, fd and user lists
//! like a sysdig or Falco capture does.

use super::bootstrap::scap_l4proto;
use falco_scap::meta::{
    fd_type, CaptureMetadata, FdEntry, FdInfo as ScapFd, FdList, GroupEntry, IfAddr, Interface,
    MachineInfo, ThreadEntry, UserEntry,
};
use falco_sinsp::state::{Bootstrap, FdInfo, FdKind, IpAddr};

fn nul_join(items: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i.as_bytes());
        out.push(0);
    }
    out
}

fn v4(a: &IpAddr) -> u32 {
    match a {
        IpAddr::V4(b) => u32::from_le_bytes(*b),
        IpAddr::V6(_) => 0,
    }
}

fn v6(a: &IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(b) => *b,
        IpAddr::V4(b) => std::net::Ipv4Addr::from(*b).to_ipv6_mapped().octets(),
    }
}

fn fd_entry(f: &FdInfo) -> FdEntry {
    let (t, info) = match f.kind {
        FdKind::Ip {
            cip,
            cport,
            sip,
            sport,
            l4proto,
        } => match cip {
            IpAddr::V4(_) => (
                fd_type::IPV4_SOCK,
                ScapFd::Ipv4Socket {
                    sip: v4(&cip),
                    dip: v4(&sip),
                    sport: cport,
                    dport: sport,
                    l4proto: scap_l4proto(l4proto),
                },
            ),
            IpAddr::V6(_) => (
                fd_type::IPV6_SOCK,
                ScapFd::Ipv6Socket {
                    sip: v6(&cip),
                    dip: v6(&sip),
                    sport: cport,
                    dport: sport,
                    l4proto: scap_l4proto(l4proto),
                },
            ),
        },
        FdKind::IpServer { ip, port, l4proto } => match ip {
            IpAddr::V4(_) => (
                fd_type::IPV4_SERVSOCK,
                ScapFd::Ipv4ServerSocket {
                    ip: v4(&ip),
                    port,
                    l4proto: scap_l4proto(l4proto),
                },
            ),
            IpAddr::V6(_) => (
                fd_type::IPV6_SERVSOCK,
                ScapFd::Ipv6ServerSocket {
                    ip: v6(&ip),
                    port,
                    l4proto: scap_l4proto(l4proto),
                },
            ),
        },
        FdKind::Unix { source, dest } => (
            fd_type::UNIX_SOCK,
            ScapFd::UnixSocket {
                source,
                dest,
                path: f.name.clone(),
            },
        ),
        FdKind::File => (
            fd_type::FILE_V2,
            ScapFd::FileV2 {
                open_flags: f.open_flags,
                name: f.name.clone(),
                dev: Some(f.dev),
            },
        ),
        other => {
            let t = match other {
                FdKind::Directory => fd_type::DIRECTORY,
                FdKind::Fifo => fd_type::FIFO,
                FdKind::Event => fd_type::EVENT,
                FdKind::Signalfd => fd_type::SIGNALFD,
                FdKind::Eventpoll => fd_type::EVENTPOLL,
                FdKind::Inotify => fd_type::INOTIFY,
                FdKind::Timerfd => fd_type::TIMERFD,
                FdKind::Netlink => fd_type::NETLINK,
                FdKind::Bpf => fd_type::BPF,
                FdKind::Userfaultfd => fd_type::USERFAULTFD,
                FdKind::IoUring => fd_type::IOURING,
                FdKind::Memfd => fd_type::MEMFD,
                FdKind::Pidfd => fd_type::PIDFD,
                _ => fd_type::UNSUPPORTED,
            };
            (
                t,
                ScapFd::Named {
                    name: f.name.clone(),
                },
            )
        }
    };
    FdEntry {
        fd: f.fd,
        ino: f.ino,
        fd_type: t,
        info,
    }
}

/// Builds the metadata blocks from a host scan.
pub fn from_bootstrap(b: &Bootstrap, num_cpus: u32) -> CaptureMetadata {
    let threads = b
        .threads
        .iter()
        .map(|t| ThreadEntry {
            tid: t.tid as u64,
            pid: t.pid as u64,
            ptid: t.ptid as u64,
            sid: t.sid as u64,
            vpgid: t.vpgid as u64,
            comm: t.comm.clone(),
            exe: t.exe.clone(),
            exepath: t.exepath.clone(),
            args: nul_join(&t.args),
            cwd: t.cwd.clone(),
            fdlimit: t.fdlimit.max(0) as u64,
            flags: t.flags,
            uid: t.uid,
            gid: t.gid,
            vmsize_kb: t.vmsize_kb,
            vmrss_kb: t.vmrss_kb,
            vmswap_kb: t.vmswap_kb,
            pfmajor: t.pfmajor,
            pfminor: t.pfminor,
            env: nul_join(&t.env),
            vtid: t.vtid,
            vpid: t.vpid,
            cgroups: nul_join(
                &t.cgroups
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>(),
            ),
            root: t.root.clone(),
            pidns_init_start_ts: t.pidns_init_start_ts,
            tty: t.tty,
            loginuid: t.loginuid,
            exe_writable: t.exe_writable,
            cap_inheritable: t.cap_inheritable,
            cap_permitted: t.cap_permitted,
            cap_effective: t.cap_effective,
            exe_upper_layer: t.exe_upper_layer,
            exe_ino: t.exe_ino,
            exe_ino_ctime: t.exe_ino_ctime,
            exe_ino_mtime: t.exe_ino_mtime,
            exe_from_memfd: t.exe_from_memfd,
            exe_lower_layer: t.exe_lower_layer,
            pgid: t.pgid,
        })
        .collect();
    let mut by_tid: std::collections::BTreeMap<i64, Vec<FdEntry>> =
        std::collections::BTreeMap::new();
    for (tid, f) in &b.fds {
        by_tid.entry(*tid).or_default().push(fd_entry(f));
    }
    CaptureMetadata {
        major_version: 1,
        minor_version: 2,
        machine: Some(MachineInfo {
            num_cpus,
            memory_size_bytes: 0,
            max_pid: 0,
            hostname: b.hostname.clone(),
            boot_ts_epoch: b.boot_ts,
            flags: 0,
            reserved3: 0,
            reserved4: 0,
        }),
        threads,
        fd_lists: by_tid
            .into_iter()
            .map(|(tid, fds)| FdList {
                tid: tid as u64,
                fds,
            })
            .collect(),
        // The addresses only: the /proc scan knows neither names, netmasks nor link speeds.
        interfaces: b
            .interfaces
            .iter()
            .map(|a| match a {
                IpAddr::V4(_) => Interface {
                    if_type: 3,
                    name: String::new(),
                    addr: IfAddr::V4 {
                        addr: v4(a),
                        netmask: 0,
                        bcast: 0,
                    },
                    linkspeed: None,
                },
                IpAddr::V6(x) => Interface {
                    if_type: 4,
                    name: String::new(),
                    addr: IfAddr::V6 {
                        addr: *x,
                        netmask: [0; 16],
                        bcast: [0; 16],
                    },
                    linkspeed: None,
                },
            })
            .collect(),
        users: b
            .users
            .iter()
            .map(|u| UserEntry {
                uid: u.uid,
                gid: u.gid,
                name: u.name.clone(),
                homedir: u.homedir.clone(),
                shell: u.shell.clone(),
            })
            .collect(),
        groups: b
            .groups
            .iter()
            .map(|g| GroupEntry {
                gid: g.gid,
                name: g.name.clone(),
            })
            .collect(),
        skipped_blocks: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Capture metadata → bootstrap → metadata keeps what a capture reader needs.
    #[test]
    fn round_trips_through_the_bootstrap() {
        let path = falco_testdata::capture("sample");
        let reader = falco_scap::CaptureReader::open(path).expect("reads");
        let meta = reader.metadata();
        let b = crate::capture::bootstrap::from_capture(meta);
        let back = from_bootstrap(&b, 2);
        assert_eq!(back.threads.len(), meta.threads.len());
        for (a, z) in meta.threads.iter().zip(&back.threads) {
            assert_eq!(
                (a.tid, a.pid, &a.comm, &a.exe, &a.cwd, a.uid),
                (z.tid, z.pid, &z.comm, &z.exe, &z.cwd, z.uid)
            );
        }
        let fds = |m: &CaptureMetadata| m.fd_lists.iter().map(|l| l.fds.len()).sum::<usize>();
        assert_eq!(fds(&back), fds(meta));
        assert_eq!(back.users.len(), meta.users.len());
        // Interface addresses survive (names and netmasks are not kept); sample.scap has no
        // interface list, curl_google.scap has five addresses.
        let addrs = |m: &CaptureMetadata| -> Vec<IfAddr> {
            m.interfaces
                .iter()
                .map(|i| match &i.addr {
                    IfAddr::V4 { addr, .. } => IfAddr::V4 {
                        addr: *addr,
                        netmask: 0,
                        bcast: 0,
                    },
                    IfAddr::V6 { addr, .. } => IfAddr::V6 {
                        addr: *addr,
                        netmask: [0; 16],
                        bcast: [0; 16],
                    },
                })
                .collect()
        };
        let path = falco_testdata::capture("curl_google");
        let reader = falco_scap::CaptureReader::open(path).expect("reads");
        let meta = reader.metadata();
        let back = from_bootstrap(&crate::capture::bootstrap::from_capture(meta), 2);
        assert_eq!(meta.interfaces.len(), 5);
        assert_eq!(addrs(&back), addrs(meta));
    }

    /// This host's /proc scan becomes metadata the writer accepts and the reader reads back.
    #[test]
    fn host_scan_writes_a_readable_capture() {
        let b = falco_sinsp::state::procfs::scan(
            std::path::Path::new("/proc"),
            std::path::Path::new("/etc"),
        )
        .expect("scan");
        let meta = from_bootstrap(&b, 1);
        assert!(meta
            .threads
            .iter()
            .any(|t| t.pid == std::process::id() as u64));
        let mut w = falco_scap::CaptureWriter::new(Vec::new(), &meta).expect("writer");
        let mut buf = [0u8; 128];
        let len = ringbuf_abi::encode_record(
            &mut buf,
            1,
            2,
            ringbuf_abi::ids::PPME_SYSCALL_CLOSE_X,
            &[&0i64.to_le_bytes(), &3i64.to_le_bytes()],
        )
        .expect("fits");
        w.write_event(
            0,
            0,
            &ringbuf_abi::Record::parse(&buf[..len]).expect("valid"),
        )
        .expect("write");
        let bytes = w.finish().expect("finish");
        let mut r = falco_scap::CaptureReader::from_reader(std::io::Cursor::new(bytes))
            .expect("reads back");
        assert_eq!(r.metadata().threads.len(), meta.threads.len());
        assert!(r.next_event().expect("event").is_some());
    }
}
