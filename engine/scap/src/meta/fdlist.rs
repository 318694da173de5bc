//! The `FDL` blocks: the open fds of one thread each, read in both versions and written as
//! version 2.

use super::cursor::{put_path, Cursor};
use crate::error::ScapError;

/// What an fd refers to, with the type-specific details of an `FDL` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdInfo {
    /// IPv4 connected socket (type 3).
    Ipv4Socket {
        /// Source address, network byte order as stored.
        sip: u32,
        /// Destination address.
        dip: u32,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// IPv6 connected socket (type 4).
    Ipv6Socket {
        /// Source address.
        sip: [u8; 16],
        /// Destination address.
        dip: [u8; 16],
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// IPv4 listening socket (type 5).
    Ipv4ServerSocket {
        /// Bound address.
        ip: u32,
        /// Bound port.
        port: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// IPv6 listening socket (type 6).
    Ipv6ServerSocket {
        /// Bound address.
        ip: [u8; 16],
        /// Bound port.
        port: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// Unix socket (type 8).
    UnixSocket {
        /// Kernel pointer of this end.
        source: u64,
        /// Kernel pointer of the peer.
        dest: u64,
        /// Socket path.
        path: String,
    },
    /// File with open flags (type 16, `FILE_V2`).
    FileV2 {
        /// Open flags.
        open_flags: u32,
        /// Path.
        name: String,
        /// Device number, when the entry carries it.
        dev: Option<u32>,
    },
    /// Any other known type: only a name is stored.
    Named {
        /// Name or path.
        name: String,
    },
    /// A type this reader does not know, kept as raw bytes (FDL V2 only, where the entry
    /// length allows skipping it).
    Unknown {
        /// The bytes after the type.
        raw: Vec<u8>,
    },
}

/// fd type values (libs' `scap_fd_type`).
pub mod fd_type {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// Regular file.
    pub const FILE: u8 = 1;
    /// Directory.
    pub const DIRECTORY: u8 = 2;
    /// IPv4 socket.
    pub const IPV4_SOCK: u8 = 3;
    /// IPv6 socket.
    pub const IPV6_SOCK: u8 = 4;
    /// IPv4 server socket.
    pub const IPV4_SERVSOCK: u8 = 5;
    /// IPv6 server socket.
    pub const IPV6_SERVSOCK: u8 = 6;
    /// FIFO.
    pub const FIFO: u8 = 7;
    /// Unix socket.
    pub const UNIX_SOCK: u8 = 8;
    /// eventfd.
    pub const EVENT: u8 = 9;
    /// Unsupported.
    pub const UNSUPPORTED: u8 = 10;
    /// signalfd.
    pub const SIGNALFD: u8 = 11;
    /// epoll.
    pub const EVENTPOLL: u8 = 12;
    /// inotify.
    pub const INOTIFY: u8 = 13;
    /// timerfd.
    pub const TIMERFD: u8 = 14;
    /// netlink.
    pub const NETLINK: u8 = 15;
    /// File with open flags.
    pub const FILE_V2: u8 = 16;
    /// bpf.
    pub const BPF: u8 = 17;
    /// userfaultfd.
    pub const USERFAULTFD: u8 = 18;
    /// io_uring.
    pub const IOURING: u8 = 19;
    /// memfd.
    pub const MEMFD: u8 = 20;
    /// pidfd.
    pub const PIDFD: u8 = 21;
}

/// One open fd of a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdEntry {
    /// The fd number.
    pub fd: i64,
    /// Inode number.
    pub ino: u64,
    /// Raw type (see [`fd_type`]).
    pub fd_type: u8,
    /// Type-specific details.
    pub info: FdInfo,
}

/// The open fds of one thread (one `FDL` block).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdList {
    /// Thread id.
    pub tid: u64,
    /// Its fds.
    pub fds: Vec<FdEntry>,
}

/// Parses an fd-list block body. `v2` selects the per-entry length prefix.
pub(crate) fn parse_fdlist(c: &mut Cursor<'_>, v2: bool) -> Result<FdList, ScapError> {
    let tid = c.u64("tid")?;
    let mut fds = Vec::new();
    while c.remaining() >= 4 {
        let entry_start = c.pos();
        let entry_len = if v2 {
            let l = c.u32("entry_len")? as usize;
            if l < 4 || l - 4 > c.remaining() {
                return Err(c.error(format!(
                    "fd entry length {l} exceeds the {} bytes left",
                    c.remaining() + 4
                )));
            }
            Some(l)
        } else {
            None
        };
        let fd = c.i64("fd")?;
        let ino = c.u64("ino")?;
        let ty = c.u8("fd type")?;
        let info = match ty {
            fd_type::IPV4_SOCK => FdInfo::Ipv4Socket {
                sip: c.u32("sip")?,
                dip: c.u32("dip")?,
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::IPV4_SERVSOCK => FdInfo::Ipv4ServerSocket {
                ip: c.u32("ip")?,
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::IPV6_SOCK => FdInfo::Ipv6Socket {
                sip: c.array("sip")?,
                dip: c.array("dip")?,
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::IPV6_SERVSOCK => FdInfo::Ipv6ServerSocket {
                ip: c.array("ip")?,
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::UNIX_SOCK => FdInfo::UnixSocket {
                source: c.u64("source")?,
                dest: c.u64("dest")?,
                path: c.lstring("path")?,
            },
            fd_type::FILE_V2 => {
                let open_flags = c.u32("open_flags")?;
                let name = c.lstring("name")?;
                let dev = match entry_len {
                    Some(l) if l >= c.pos() - entry_start + 4 => Some(c.u32("dev")?),
                    _ => None,
                };
                FdInfo::FileV2 {
                    open_flags,
                    name,
                    dev,
                }
            }
            fd_type::UNKNOWN
            | fd_type::FILE
            | fd_type::DIRECTORY
            | fd_type::FIFO
            | fd_type::EVENT
            | fd_type::UNSUPPORTED
            | fd_type::SIGNALFD
            | fd_type::EVENTPOLL
            | fd_type::INOTIFY
            | fd_type::TIMERFD
            | fd_type::NETLINK
            | fd_type::BPF
            | fd_type::USERFAULTFD
            | fd_type::IOURING
            | fd_type::MEMFD
            | fd_type::PIDFD => FdInfo::Named {
                name: c.lstring("name")?,
            },
            other => match entry_len {
                Some(l) => {
                    let used = c.pos() - entry_start;
                    FdInfo::Unknown {
                        raw: c.bytes(l.saturating_sub(used), "fd entry")?.to_vec(),
                    }
                }
                None => return Err(c.error(format!("unknown fd type {other}"))),
            },
        };
        if let Some(l) = entry_len {
            let used = c.pos() - entry_start;
            if used > l {
                return Err(c.error(format!("fd entry of {l} bytes holds {used} bytes")));
            }
            c.skip(l - used, "fd entry tail")?;
        }
        fds.push(FdEntry {
            fd,
            ino,
            fd_type: ty,
            info,
        });
    }
    Ok(FdList { tid, fds })
}

/// Appends an FDL_V2 body.
pub(crate) fn encode_fdlist_v2(l: &FdList, out: &mut Vec<u8>) {
    out.extend_from_slice(&l.tid.to_le_bytes());
    for e in &l.fds {
        let start = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&e.fd.to_le_bytes());
        out.extend_from_slice(&e.ino.to_le_bytes());
        out.push(e.fd_type);
        match &e.info {
            FdInfo::Ipv4Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                out.extend_from_slice(&sip.to_le_bytes());
                out.extend_from_slice(&dip.to_le_bytes());
                out.extend_from_slice(&sport.to_le_bytes());
                out.extend_from_slice(&dport.to_le_bytes());
                out.push(*l4proto);
            }
            FdInfo::Ipv6Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                out.extend_from_slice(sip);
                out.extend_from_slice(dip);
                out.extend_from_slice(&sport.to_le_bytes());
                out.extend_from_slice(&dport.to_le_bytes());
                out.push(*l4proto);
            }
            FdInfo::Ipv4ServerSocket { ip, port, l4proto } => {
                out.extend_from_slice(&ip.to_le_bytes());
                out.extend_from_slice(&port.to_le_bytes());
                out.push(*l4proto);
            }
            FdInfo::Ipv6ServerSocket { ip, port, l4proto } => {
                out.extend_from_slice(ip);
                out.extend_from_slice(&port.to_le_bytes());
                out.push(*l4proto);
            }
            FdInfo::UnixSocket { source, dest, path } => {
                out.extend_from_slice(&source.to_le_bytes());
                out.extend_from_slice(&dest.to_le_bytes());
                put_path(out, path.as_bytes());
            }
            FdInfo::FileV2 {
                open_flags,
                name,
                dev,
            } => {
                out.extend_from_slice(&open_flags.to_le_bytes());
                put_path(out, name.as_bytes());
                if let Some(dev) = dev {
                    out.extend_from_slice(&dev.to_le_bytes());
                }
            }
            FdInfo::Named { name } => put_path(out, name.as_bytes()),
            FdInfo::Unknown { raw } => out.extend_from_slice(raw),
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}
