//! The capture's state blocks: machine info, process (thread) list, fd lists, interfaces and
//! users/groups. Parsing (from a block body) and encoding (for the writer) live side by side so
//! the two cannot drift apart.

use crate::block;
use crate::error::ScapError;

/// Machine info (`MI` block).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineInfo {
    /// Number of CPUs.
    pub num_cpus: u32,
    /// Physical memory in bytes.
    pub memory_size_bytes: u64,
    /// Largest pid.
    pub max_pid: u64,
    /// Host name (NUL padding removed).
    pub hostname: String,
    /// Boot time, ns since the epoch.
    pub boot_ts_epoch: u64,
    /// Flags (libs' `scap_machine_info.flags`).
    pub flags: u64,
    /// Reserved word 3, kept for a faithful rewrite.
    pub reserved3: u64,
    /// Reserved word 4, kept for a faithful rewrite.
    pub reserved4: u64,
}

/// One thread of the process list (`PL` blocks, any version). Fields absent from older
/// versions hold their defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadEntry {
    /// Thread id.
    pub tid: u64,
    /// Process id.
    pub pid: u64,
    /// Parent thread id.
    pub ptid: u64,
    /// Session id (V6+).
    pub sid: u64,
    /// Process group id as seen in its pid namespace (V8+).
    pub vpgid: u64,
    /// Command name.
    pub comm: String,
    /// `argv[0]`.
    pub exe: String,
    /// Full executable path (V7+).
    pub exepath: String,
    /// Arguments, NUL-separated, as stored.
    pub args: Vec<u8>,
    /// Working directory.
    pub cwd: String,
    /// Fd limit.
    pub fdlimit: u64,
    /// Thread flags (`PPM_CL_*`).
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Virtual memory size in KiB (V2+).
    pub vmsize_kb: u32,
    /// Resident set size in KiB (V2+).
    pub vmrss_kb: u32,
    /// Swap in KiB (V2+).
    pub vmswap_kb: u32,
    /// Major page faults (V2+).
    pub pfmajor: u64,
    /// Minor page faults (V2+).
    pub pfminor: u64,
    /// Environment, NUL-separated, as stored (V3+).
    pub env: Vec<u8>,
    /// Thread id in its pid namespace (V4+).
    pub vtid: i64,
    /// Process id in its pid namespace (V4+).
    pub vpid: i64,
    /// Cgroups, `subsys=path` NUL-separated (V4+).
    pub cgroups: Vec<u8>,
    /// Root directory (V5+).
    pub root: String,
    /// Start time of the pid namespace's init (V9 tail).
    pub pidns_init_start_ts: u64,
    /// Controlling terminal (V9 tail).
    pub tty: u32,
    /// Login uid (V9 tail), `u32::MAX` when unknown.
    pub loginuid: u32,
    /// The executable is writable by its user (V9 tail).
    pub exe_writable: bool,
    /// Inheritable capabilities (V9 tail).
    pub cap_inheritable: u64,
    /// Permitted capabilities (V9 tail).
    pub cap_permitted: u64,
    /// Effective capabilities (V9 tail).
    pub cap_effective: u64,
    /// The executable lives in an overlay upper layer (V9 tail).
    pub exe_upper_layer: bool,
    /// Inode of the executable (V9 tail).
    pub exe_ino: u64,
    /// Inode ctime of the executable (V9 tail).
    pub exe_ino_ctime: u64,
    /// Inode mtime of the executable (V9 tail).
    pub exe_ino_mtime: u64,
    /// The executable is a memfd (V9 tail).
    pub exe_from_memfd: bool,
    /// The executable lives in an overlay lower layer (V9 tail).
    pub exe_lower_layer: bool,
    /// Process group id (V9 tail), -1 when unknown.
    pub pgid: i64,
}

impl Default for ThreadEntry {
    fn default() -> Self {
        ThreadEntry {
            tid: 0,
            pid: 0,
            ptid: 0,
            sid: 0,
            vpgid: 0,
            comm: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            cwd: String::new(),
            fdlimit: 0,
            flags: 0,
            uid: 0,
            gid: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            env: Vec::new(),
            vtid: 0,
            vpid: 0,
            cgroups: Vec::new(),
            root: String::new(),
            pidns_init_start_ts: 0,
            tty: 0,
            loginuid: u32::MAX,
            exe_writable: false,
            cap_inheritable: 0,
            cap_permitted: 0,
            cap_effective: 0,
            exe_upper_layer: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_from_memfd: false,
            exe_lower_layer: false,
            pgid: -1,
        }
    }
}

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

/// An interface address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IfAddr {
    /// IPv4 address, netmask, broadcast (network byte order as stored).
    V4 {
        /// Address.
        addr: u32,
        /// Netmask.
        netmask: u32,
        /// Broadcast address.
        bcast: u32,
    },
    /// IPv6 address, netmask, broadcast.
    V6 {
        /// Address.
        addr: [u8; 16],
        /// Netmask.
        netmask: [u8; 16],
        /// Broadcast address.
        bcast: [u8; 16],
    },
}

/// One network interface address (`IL` block entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Raw type: 1 IPv4, 2 IPv6, 3 IPv4 without link speed, 4 IPv6 without link speed.
    pub if_type: u16,
    /// Interface name.
    pub name: String,
    /// Addresses.
    pub addr: IfAddr,
    /// Link speed, absent for the `*_NOLINKSPEED` types.
    pub linkspeed: Option<u64>,
}

/// A user (`UL` block entry of type 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserEntry {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Login name.
    pub name: String,
    /// Home directory.
    pub homedir: String,
    /// Login shell.
    pub shell: String,
}

/// A group (`UL` block entry of type 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupEntry {
    /// Group id.
    pub gid: u32,
    /// Group name.
    pub name: String,
}

/// Everything a capture says about the machine before its events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureMetadata {
    /// Section header major version.
    pub major_version: u16,
    /// Section header minor version.
    pub minor_version: u16,
    /// Machine info, when the capture has an `MI` block.
    pub machine: Option<MachineInfo>,
    /// Threads from every process-list block, in file order.
    pub threads: Vec<ThreadEntry>,
    /// One entry per fd-list block, in file order.
    pub fd_lists: Vec<FdList>,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// Users.
    pub users: Vec<UserEntry>,
    /// Groups.
    pub groups: Vec<GroupEntry>,
    /// Block types the reader did not know and skipped.
    pub skipped_blocks: u64,
}

/// A bounds-checked little-endian cursor over a block body. Errors carry the absolute stream
/// offset of the field that did not fit.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    block_type: u32,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64, block_type: u32) -> Self {
        Cursor {
            buf,
            pos: 0,
            base,
            block_type,
        }
    }
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    pub(crate) fn error(&self, reason: String) -> ScapError {
        ScapError::BadBlock {
            offset: self.offset(),
            block_type: self.block_type,
            reason,
        }
    }
    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], ScapError> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "{what}: needs {n} bytes, {} left",
                self.remaining()
            )));
        }
        let v = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(v)
    }
    pub(crate) fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ScapError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N, what)?);
        Ok(a)
    }
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, ScapError> {
        Ok(self.array::<1>(what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, ScapError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, ScapError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, ScapError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, ScapError> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }
    /// A `u16 length + bytes` field.
    pub(crate) fn lbytes(&mut self, what: &str) -> Result<&'a [u8], ScapError> {
        let n = self.u16(what)? as usize;
        self.bytes(n, what)
    }
    pub(crate) fn lstring(&mut self, what: &str) -> Result<String, ScapError> {
        Ok(lossy(self.lbytes(what)?))
    }
    pub(crate) fn skip(&mut self, n: usize, what: &str) -> Result<(), ScapError> {
        self.bytes(n, what).map(|_| ())
    }
}

/// Bytes as text, stopping at the first NUL.
pub(crate) fn lossy(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

pub(crate) fn parse_machine_info(c: &mut Cursor<'_>) -> Result<MachineInfo, ScapError> {
    Ok(MachineInfo {
        num_cpus: c.u32("num_cpus")?,
        memory_size_bytes: c.u64("memory_size_bytes")?,
        max_pid: c.u64("max_pid")?,
        hostname: lossy(c.bytes(128, "hostname")?),
        boot_ts_epoch: c.u64("boot_ts_epoch")?,
        flags: c.u64("flags")?,
        reserved3: c.u64("reserved3")?,
        reserved4: c.u64("reserved4")?,
    })
}

/// The process-list version (1..=9) of a block type, or `None`.
pub(crate) fn proclist_version(block_type: u32) -> Option<u8> {
    Some(match block_type {
        block::PL_V1 | block::PL_V1_LEGACY => 1,
        block::PL_V2 | block::PL_V2_LEGACY => 2,
        block::PL_V3 | block::PL_V3_LEGACY => 3,
        block::PL_V4 => 4,
        block::PL_V5 => 5,
        block::PL_V6 => 6,
        block::PL_V7 => 7,
        block::PL_V8 => 8,
        block::PL_V9 => 9,
        _ => return None,
    })
}

/// Parses every thread of a process-list block body of version `v`.
pub(crate) fn parse_proclist(
    c: &mut Cursor<'_>,
    v: u8,
    out: &mut Vec<ThreadEntry>,
) -> Result<(), ScapError> {
    while c.remaining() >= 4 {
        let entry_start = c.pos();
        let entry_len = if v >= 9 {
            let l = c.u32("entry_len")? as usize;
            if l < 4 || l - 4 > c.remaining() {
                return Err(c.error(format!(
                    "thread entry length {l} exceeds the {} bytes left",
                    c.remaining() + 4
                )));
            }
            Some(l)
        } else {
            None
        };
        let mut t = ThreadEntry {
            tid: c.u64("tid")?,
            pid: c.u64("pid")?,
            ptid: c.u64("ptid")?,
            ..ThreadEntry::default()
        };
        if v >= 6 {
            t.sid = c.u64("sid")?;
        }
        if v >= 8 {
            t.vpgid = c.u64("vpgid")?;
        }
        t.comm = c.lstring("comm")?;
        t.exe = c.lstring("exe")?;
        if v >= 7 {
            t.exepath = c.lstring("exepath")?;
        }
        t.args = c.lbytes("args")?.to_vec();
        t.cwd = c.lstring("cwd")?;
        t.fdlimit = c.u64("fdlimit")?;
        t.flags = c.u32("flags")?;
        t.uid = c.u32("uid")?;
        t.gid = c.u32("gid")?;
        if v >= 2 {
            t.vmsize_kb = c.u32("vmsize_kb")?;
            t.vmrss_kb = c.u32("vmrss_kb")?;
            t.vmswap_kb = c.u32("vmswap_kb")?;
            t.pfmajor = c.u64("pfmajor")?;
            t.pfminor = c.u64("pfminor")?;
        }
        if v >= 3 {
            t.env = c.lbytes("env")?.to_vec();
        }
        if v >= 4 {
            t.vtid = c.i64("vtid")?;
            t.vpid = c.i64("vpid")?;
            t.cgroups = c.lbytes("cgroups")?.to_vec();
        }
        if v >= 5 {
            t.root = c.lstring("root")?;
        }
        if let Some(l) = entry_len {
            let used = c.pos() - entry_start;
            if used > l {
                return Err(c.error(format!(
                    "thread entry of {l} bytes holds {used} bytes of fields"
                )));
            }
            // The tail fields are appended over time; read each only if the entry has room.
            let mut left = l - used;
            macro_rules! opt {
                ($field:expr, $size:expr, $read:expr) => {
                    if left >= $size {
                        $field = $read;
                        left -= $size;
                    }
                };
            }
            // Writers before libs 0.10 (sysdig 0.29) put loginuid, exe_writable and the
            // three capability sets (29 bytes) right after root; 0.10 inserted
            // pidns_init_start_ts and tty before them. libscap tells them apart by the room
            // left, and so do we.
            if left > 29 {
                opt!(t.pidns_init_start_ts, 8, c.u64("pidns_init_start_ts")?);
                opt!(t.tty, 4, c.u32("tty")?);
            }
            opt!(t.loginuid, 4, c.u32("loginuid")?);
            opt!(t.exe_writable, 1, c.u8("exe_writable")? != 0);
            opt!(t.cap_inheritable, 8, c.u64("cap_inheritable")?);
            opt!(t.cap_permitted, 8, c.u64("cap_permitted")?);
            opt!(t.cap_effective, 8, c.u64("cap_effective")?);
            opt!(t.exe_upper_layer, 1, c.u8("exe_upper_layer")? != 0);
            opt!(t.exe_ino, 8, c.u64("exe_ino")?);
            opt!(t.exe_ino_ctime, 8, c.u64("exe_ino_ctime")?);
            opt!(t.exe_ino_mtime, 8, c.u64("exe_ino_mtime")?);
            opt!(t.exe_from_memfd, 1, c.u8("exe_from_memfd")? != 0);
            opt!(t.exe_lower_layer, 1, c.u8("exe_lower_layer")? != 0);
            opt!(t.pgid, 8, c.i64("pgid")?);
            // Fields newer than this reader: skip them (forward compatibility).
            c.skip(left, "thread entry tail")?;
        }
        out.push(t);
    }
    Ok(())
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

/// Parses an interface-list block body.
pub(crate) fn parse_iflist(
    c: &mut Cursor<'_>,
    v2: bool,
    out: &mut Vec<Interface>,
) -> Result<(), ScapError> {
    while c.remaining() >= 4 {
        // IL V2's entry length counts the bytes after itself.
        let entry = if v2 {
            Some((c.u32("entry_len")? as usize, c.pos()))
        } else {
            None
        };
        let if_type = c.u16("interface type")?;
        let name_len = c.u16("interface name length")? as usize;
        let (addr, has_speed) = match if_type {
            1 | 3 => (
                IfAddr::V4 {
                    addr: c.u32("addr")?,
                    netmask: c.u32("netmask")?,
                    bcast: c.u32("bcast")?,
                },
                if_type == 1,
            ),
            2 | 4 => (
                IfAddr::V6 {
                    addr: c.array("addr")?,
                    netmask: c.array("netmask")?,
                    bcast: c.array("bcast")?,
                },
                if_type == 2,
            ),
            other => return Err(c.error(format!("unknown interface type {other}"))),
        };
        let linkspeed = if has_speed {
            Some(c.u64("linkspeed")?)
        } else {
            None
        };
        let name = lossy(c.bytes(name_len, "interface name")?);
        if let Some((l, start)) = entry {
            let used = c.pos() - start;
            if used > l {
                return Err(c.error(format!("interface entry of {l} bytes holds {used} bytes")));
            }
            c.skip(l - used, "interface entry tail")?;
        }
        out.push(Interface {
            if_type,
            name,
            addr,
            linkspeed,
        });
    }
    Ok(())
}

/// Parses a user-list block body.
pub(crate) fn parse_userlist(
    c: &mut Cursor<'_>,
    v2: bool,
    users: &mut Vec<UserEntry>,
    groups: &mut Vec<GroupEntry>,
) -> Result<(), ScapError> {
    while c.remaining() >= 4 {
        // UL V2's entry length includes itself.
        let entry = if v2 {
            let start = c.pos();
            let l = c.u32("entry_len")? as usize;
            if l < 4 {
                return Err(c.error(format!("user entry length {l} is below 4")));
            }
            Some((l, start))
        } else {
            None
        };
        match c.u8("user entry type")? {
            0 => users.push(UserEntry {
                uid: c.u32("uid")?,
                gid: c.u32("gid")?,
                name: c.lstring("name")?,
                homedir: c.lstring("homedir")?,
                shell: c.lstring("shell")?,
            }),
            1 => groups.push(GroupEntry {
                gid: c.u32("gid")?,
                name: c.lstring("name")?,
            }),
            other => return Err(c.error(format!("unknown user entry type {other}"))),
        }
        if let Some((l, start)) = entry {
            let used = c.pos() - start;
            if used > l {
                return Err(c.error(format!("user entry of {l} bytes holds {used} bytes")));
            }
            c.skip(l - used, "user entry tail")?;
        }
    }
    Ok(())
}

// ---- encoding (used by the writer) ----

pub(crate) fn put_lbytes(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len().min(u16::MAX as usize);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&b[..n]);
}

pub(crate) fn encode_machine_info(m: &MachineInfo, out: &mut Vec<u8>) {
    out.extend_from_slice(&m.num_cpus.to_le_bytes());
    out.extend_from_slice(&m.memory_size_bytes.to_le_bytes());
    out.extend_from_slice(&m.max_pid.to_le_bytes());
    let mut host = [0u8; 128];
    let h = m.hostname.as_bytes();
    let n = h.len().min(127);
    host[..n].copy_from_slice(&h[..n]);
    out.extend_from_slice(&host);
    out.extend_from_slice(&m.boot_ts_epoch.to_le_bytes());
    out.extend_from_slice(&m.flags.to_le_bytes());
    out.extend_from_slice(&m.reserved3.to_le_bytes());
    out.extend_from_slice(&m.reserved4.to_le_bytes());
}

/// Appends one PL_V9 thread entry.
pub(crate) fn encode_thread_v9(t: &ThreadEntry, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    for v in [t.tid, t.pid, t.ptid, t.sid, t.vpgid] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    put_lbytes(out, t.comm.as_bytes());
    put_lbytes(out, t.exe.as_bytes());
    put_lbytes(out, t.exepath.as_bytes());
    put_lbytes(out, &t.args);
    put_lbytes(out, t.cwd.as_bytes());
    out.extend_from_slice(&t.fdlimit.to_le_bytes());
    for v in [t.flags, t.uid, t.gid, t.vmsize_kb, t.vmrss_kb, t.vmswap_kb] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&t.pfmajor.to_le_bytes());
    out.extend_from_slice(&t.pfminor.to_le_bytes());
    put_lbytes(out, &t.env);
    out.extend_from_slice(&t.vtid.to_le_bytes());
    out.extend_from_slice(&t.vpid.to_le_bytes());
    put_lbytes(out, &t.cgroups);
    put_lbytes(out, t.root.as_bytes());
    out.extend_from_slice(&t.pidns_init_start_ts.to_le_bytes());
    out.extend_from_slice(&t.tty.to_le_bytes());
    out.extend_from_slice(&t.loginuid.to_le_bytes());
    out.push(t.exe_writable as u8);
    for v in [t.cap_inheritable, t.cap_permitted, t.cap_effective] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(t.exe_upper_layer as u8);
    for v in [t.exe_ino, t.exe_ino_ctime, t.exe_ino_mtime] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(t.exe_from_memfd as u8);
    out.push(t.exe_lower_layer as u8);
    out.extend_from_slice(&t.pgid.to_le_bytes());
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
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
                put_lbytes(out, path.as_bytes());
            }
            FdInfo::FileV2 {
                open_flags,
                name,
                dev,
            } => {
                out.extend_from_slice(&open_flags.to_le_bytes());
                put_lbytes(out, name.as_bytes());
                if let Some(dev) = dev {
                    out.extend_from_slice(&dev.to_le_bytes());
                }
            }
            FdInfo::Named { name } => put_lbytes(out, name.as_bytes()),
            FdInfo::Unknown { raw } => out.extend_from_slice(raw),
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// Appends one IL_V2 entry.
pub(crate) fn encode_interface_v2(i: &Interface, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    let name = &i.name.as_bytes()[..i.name.len().min(u16::MAX as usize)];
    // The type must agree with what follows, whatever the caller put in `if_type`.
    let ty: u16 = match (&i.addr, i.linkspeed.is_some()) {
        (IfAddr::V4 { .. }, true) => 1,
        (IfAddr::V6 { .. }, true) => 2,
        (IfAddr::V4 { .. }, false) => 3,
        (IfAddr::V6 { .. }, false) => 4,
    };
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    match &i.addr {
        IfAddr::V4 {
            addr,
            netmask,
            bcast,
        } => {
            for v in [addr, netmask, bcast] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        IfAddr::V6 {
            addr,
            netmask,
            bcast,
        } => {
            for v in [addr, netmask, bcast] {
                out.extend_from_slice(v);
            }
        }
    }
    if let Some(s) = i.linkspeed {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out.extend_from_slice(name);
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// Appends one UL_V2 user entry.
pub(crate) fn encode_user_v2(u: &UserEntry, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(0);
    out.extend_from_slice(&u.uid.to_le_bytes());
    out.extend_from_slice(&u.gid.to_le_bytes());
    put_lbytes(out, u.name.as_bytes());
    put_lbytes(out, u.homedir.as_bytes());
    put_lbytes(out, u.shell.as_bytes());
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// Appends one UL_V2 group entry.
pub(crate) fn encode_group_v2(g: &GroupEntry, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(1);
    out.extend_from_slice(&g.gid.to_le_bytes());
    put_lbytes(out, g.name.as_bytes());
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}
