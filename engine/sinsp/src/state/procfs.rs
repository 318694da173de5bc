//! The live bootstrap: threads and fds from /proc, users and groups from /etc.

use std::fs;
use std::path::Path;

use super::fd::{FdInfo, FdKind};
use super::thread::ThreadInfo;
use super::users::{parse_group, parse_passwd};
use super::Bootstrap;

fn read_nul_list(p: &Path) -> Vec<String> {
    fs::read(p)
        .map(|b| {
            crate::params::split_nul(&b)
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Fields of `/proc/PID/status` we use.
#[derive(Default)]
struct Status {
    name: String,
    ppid: i64,
    uid: u32,
    gid: u32,
    nstgid: Vec<i64>,
    nspid: Vec<i64>,
    nssid: Vec<i64>,
    nspgid: Vec<i64>,
    cap_inh: u64,
    cap_prm: u64,
    cap_eff: u64,
    vmsize: u32,
    vmrss: u32,
    vmswap: u32,
}

fn parse_status(text: &str) -> Status {
    let mut st = Status::default();
    let ids = |v: &str| {
        v.split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect::<Vec<i64>>()
    };
    let kb = |v: &str| {
        v.split_whitespace()
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(0)
    };
    let hex = |v: &str| u64::from_str_radix(v.trim(), 16).unwrap_or(0);
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k {
            "Name" => st.name = v.to_string(),
            "PPid" => st.ppid = v.parse().unwrap_or(0),
            // Effective ids are the second column.
            "Uid" => {
                st.uid = v
                    .split_whitespace()
                    .nth(1)
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0)
            }
            "Gid" => {
                st.gid = v
                    .split_whitespace()
                    .nth(1)
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0)
            }
            "NStgid" => st.nstgid = ids(v),
            "NSpid" => st.nspid = ids(v),
            "NSsid" => st.nssid = ids(v),
            "NSpgid" => st.nspgid = ids(v),
            "CapInh" => st.cap_inh = hex(v),
            "CapPrm" => st.cap_prm = hex(v),
            "CapEff" => st.cap_eff = hex(v),
            "VmSize" => st.vmsize = kb(v),
            "VmRSS" => st.vmrss = kb(v),
            "VmSwap" => st.vmswap = kb(v),
            _ => {}
        }
    }
    st
}

/// `/proc/PID/stat` fields after the command: (session, tty, pgid, start time in ticks).
fn parse_stat(text: &str) -> Option<(i64, u32, i64, u64)> {
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is state (field 3); pgrp is field 5, session 6, tty_nr 7, starttime 22.
    Some((
        f.get(3)?.parse().ok()?,
        f.get(4)?.parse().ok()?,
        f.get(2)?.parse().ok()?,
        f.get(19)?.parse().ok()?,
    ))
}

fn read_thread(proc_root: &Path, pid: i64, tid: i64, boot_ts: u64) -> Option<ThreadInfo> {
    let dir = proc_root
        .join(pid.to_string())
        .join("task")
        .join(tid.to_string());
    let status = parse_status(&fs::read_to_string(dir.join("status")).ok()?);
    let (sid, tty, pgid, start) = fs::read_to_string(dir.join("stat"))
        .ok()
        .and_then(|s| parse_stat(&s))
        .unwrap_or_default();
    let mut argv = read_nul_list(&dir.join("cmdline"));
    let exe = if argv.is_empty() {
        status.name.clone()
    } else {
        argv.remove(0)
    };
    let cgroups = fs::read_to_string(dir.join("cgroup"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let _id = it.next()?;
            let subsys = it.next()?;
            let path = it.next()?;
            Some((
                if subsys.is_empty() {
                    "unified".to_string()
                } else {
                    subsys.to_string()
                },
                path.to_string(),
            ))
        })
        .collect();
    let loginuid = fs::read_to_string(dir.join("loginuid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(u32::MAX);
    let link = |n: &str| {
        fs::read_link(dir.join(n))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // Clock ticks are 100 Hz on every Linux configuration Falco supports.
    let clone_ts = if boot_ts > 0 {
        boot_ts + start * 10_000_000
    } else {
        0
    };
    Some(ThreadInfo {
        tid,
        pid,
        ptid: status.ppid,
        sid,
        vpgid: status.nspgid.last().copied().unwrap_or(pgid),
        pgid,
        comm: status.name,
        exe,
        exepath: link("exe"),
        args: argv,
        cwd: link("cwd"),
        uid: status.uid,
        gid: status.gid,
        loginuid,
        vtid: status.nspid.last().copied().unwrap_or(tid),
        vpid: status.nstgid.last().copied().unwrap_or(pid),
        cgroups,
        root: link("root"),
        tty,
        env: read_nul_list(&dir.join("environ")),
        cap_inheritable: status.cap_inh,
        cap_permitted: status.cap_prm,
        cap_effective: status.cap_eff,
        clone_ts,
        vmsize_kb: status.vmsize,
        vmrss_kb: status.vmrss,
        vmswap_kb: status.vmswap,
        fdlimit: 1024,
        ..ThreadInfo::default()
    })
    .map(|mut t| {
        let _ = &status.nssid;
        if t.vtid != t.tid {
            t.flags |= super::thread::cl::CHILD_IN_PIDNS;
        }
        t
    })
}

fn read_fds(proc_root: &Path, pid: i64) -> Vec<FdInfo> {
    let dir = proc_root.join(pid.to_string()).join("fd");
    let Ok(rd) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| {
        let e = e.ok()?;
        let fd: i64 = e.file_name().to_str()?.parse().ok()?;
        let target = fs::read_link(e.path()).ok()?.to_string_lossy().into_owned();
        let (kind, name) = if target.starts_with('/') {
            let is_dir = fs::metadata(&target).map(|m| m.is_dir()).unwrap_or(false);
            (
                if is_dir {
                    FdKind::Directory
                } else {
                    FdKind::File
                },
                target,
            )
        } else if target.starts_with("pipe:") {
            (FdKind::Fifo, String::new())
        } else if target.starts_with("socket:") {
            // Socket tuples need /proc/net parsing; keep the fd with an unknown type.
            (FdKind::Unknown, target)
        } else if target.contains("eventfd") {
            (FdKind::Event, String::new())
        } else if target.contains("eventpoll") {
            (FdKind::Eventpoll, String::new())
        } else if target.contains("inotify") {
            (FdKind::Inotify, String::new())
        } else if target.contains("signalfd") {
            (FdKind::Signalfd, String::new())
        } else if target.contains("timerfd") {
            (FdKind::Timerfd, String::new())
        } else if target.contains("memfd:") {
            (FdKind::Memfd, target)
        } else {
            (FdKind::Unsupported, target)
        };
        Some(FdInfo {
            fd,
            kind,
            nameraw: name.clone(),
            name,
            ..FdInfo::default()
        })
    })
    .collect()
}

/// The host's interface addresses: local IPv4 ones from `net/fib_trie`, IPv6 ones from
/// `net/if_inet6` (what scap's interface list holds live).
fn read_interfaces(proc_root: &Path) -> Vec<super::IpAddr> {
    let mut out = fs::read_to_string(proc_root.join("net/fib_trie"))
        .map(|t| super::ifaddr::parse_fib_trie(&t))
        .unwrap_or_default();
    out.extend(
        fs::read_to_string(proc_root.join("net/if_inet6"))
            .map(|t| super::ifaddr::parse_if_inet6(&t))
            .unwrap_or_default(),
    );
    out
}

/// Scans `proc_root` (normally /proc) and `etc` (normally /etc).
///
/// # Errors
/// When `proc_root` cannot be listed.
pub fn scan(proc_root: &Path, etc: &Path) -> std::io::Result<Bootstrap> {
    let boot_ts = fs::read_to_string(proc_root.join("stat"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("btime ")
                    .and_then(|v| v.trim().parse::<u64>().ok())
            })
        })
        .map(|s| s * 1_000_000_000)
        .unwrap_or(0);
    let mut b = Bootstrap {
        hostname: fs::read_to_string(proc_root.join("sys/kernel/hostname"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        boot_ts,
        interfaces: read_interfaces(proc_root),
        ..Bootstrap::default()
    };
    for e in fs::read_dir(proc_root)? {
        let Ok(e) = e else { continue };
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let tids: Vec<i64> = fs::read_dir(e.path().join("task"))
            .map(|rd| {
                rd.filter_map(|t| t.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        for tid in tids {
            if let Some(t) = read_thread(proc_root, pid, tid, boot_ts) {
                b.threads.push(t);
            }
        }
        for fd in read_fds(proc_root, pid) {
            b.fds.push((pid, fd));
        }
    }
    b.users = fs::read_to_string(etc.join("passwd"))
        .map(|s| parse_passwd(&s))
        .unwrap_or_default();
    b.groups = fs::read_to_string(etc.join("group"))
        .map(|s| parse_group(&s))
        .unwrap_or_default();
    Ok(b)
}
