//! File descriptors: what libsinsp's `sinsp_fdinfo` keeps, and the per-process table.

use foldhash::HashMap;

/// An IP address as found in socket tuples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpAddr {
    /// IPv4, network order.
    V4([u8; 4]),
    /// IPv6.
    V6([u8; 16]),
}

/// The scap fd type (`SCAP_FD_*`), with the per-type socket data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FdKind {
    /// `SCAP_FD_UNKNOWN`.
    #[default]
    Unknown,
    /// A regular file (`SCAP_FD_FILE` / `SCAP_FD_FILE_V2`).
    File,
    /// A directory.
    Directory,
    /// A connected (or connecting) IP socket: client address/port, server address/port.
    /// IPv4 and IPv6 are told apart by the addresses.
    Ip {
        /// Client address.
        cip: IpAddr,
        /// Client port.
        cport: u16,
        /// Server address.
        sip: IpAddr,
        /// Server port.
        sport: u16,
        /// `SCAP_L4_*` protocol.
        l4proto: u8,
    },
    /// A server (bound, listening) IP socket.
    IpServer {
        /// Local address.
        ip: IpAddr,
        /// Local port.
        port: u16,
        /// `SCAP_L4_*` protocol.
        l4proto: u8,
    },
    /// An IP socket not yet bound or connected.
    IpUnbound {
        /// True for AF_INET6.
        v6: bool,
        /// `SCAP_L4_*` protocol.
        l4proto: u8,
    },
    /// A pipe or FIFO.
    Fifo,
    /// A unix socket: source and destination kernel pointers.
    Unix {
        /// Source pointer.
        source: u64,
        /// Destination pointer.
        dest: u64,
    },
    /// An eventfd.
    Event,
    /// Unsupported type.
    Unsupported,
    /// A signalfd.
    Signalfd,
    /// An epoll fd.
    Eventpoll,
    /// An inotify fd.
    Inotify,
    /// A timerfd.
    Timerfd,
    /// A netlink socket.
    Netlink,
    /// A bpf object.
    Bpf,
    /// A userfaultfd.
    Userfaultfd,
    /// An io_uring.
    IoUring,
    /// A memfd.
    Memfd,
    /// A pidfd.
    Pidfd,
}

/// `SCAP_L4_*` protocol numbers.
pub mod l4 {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// TCP.
    pub const TCP: u8 = 1;
    /// UDP.
    pub const UDP: u8 = 2;
    /// ICMP.
    pub const ICMP: u8 = 3;
    /// Raw.
    pub const RAW: u8 = 4;
}

impl FdKind {
    /// Builds a kind from the scap type number (FDL blocks), without socket data.
    pub fn from_scap_type(t: u8) -> FdKind {
        match t {
            1 | 16 => FdKind::File,
            2 => FdKind::Directory,
            3 => FdKind::IpUnbound {
                v6: false,
                l4proto: l4::UNKNOWN,
            },
            4 => FdKind::IpUnbound {
                v6: true,
                l4proto: l4::UNKNOWN,
            },
            5 => FdKind::IpServer {
                ip: IpAddr::V4([0; 4]),
                port: 0,
                l4proto: l4::UNKNOWN,
            },
            6 => FdKind::IpServer {
                ip: IpAddr::V6([0; 16]),
                port: 0,
                l4proto: l4::UNKNOWN,
            },
            7 => FdKind::Fifo,
            8 => FdKind::Unix { source: 0, dest: 0 },
            9 => FdKind::Event,
            10 => FdKind::Unsupported,
            11 => FdKind::Signalfd,
            12 => FdKind::Eventpoll,
            13 => FdKind::Inotify,
            14 => FdKind::Timerfd,
            15 => FdKind::Netlink,
            17 => FdKind::Bpf,
            18 => FdKind::Userfaultfd,
            19 => FdKind::IoUring,
            20 => FdKind::Memfd,
            21 => FdKind::Pidfd,
            _ => FdKind::Unknown,
        }
    }

    fn is_v6(&self) -> bool {
        match self {
            FdKind::Ip {
                sip: IpAddr::V6(_), ..
            }
            | FdKind::IpServer {
                ip: IpAddr::V6(_), ..
            } => true,
            FdKind::IpUnbound { v6, .. } => *v6,
            _ => false,
        }
    }

    /// `fd.type`, or `None` for unknown/unsupported fds (Falco prints `<NA>`).
    pub fn type_str(&self) -> Option<&'static str> {
        Some(match self {
            FdKind::File => "file",
            FdKind::Directory => "directory",
            FdKind::Ip { .. } | FdKind::IpServer { .. } | FdKind::IpUnbound { .. } => {
                if self.is_v6() {
                    "ipv6"
                } else {
                    "ipv4"
                }
            }
            FdKind::Unix { .. } => "unix",
            FdKind::Fifo => "pipe",
            FdKind::Event => "event",
            FdKind::Signalfd => "signalfd",
            FdKind::Eventpoll => "eventpoll",
            FdKind::Inotify => "inotify",
            FdKind::Timerfd => "timerfd",
            FdKind::Netlink => "netlink",
            FdKind::Bpf => "bpf",
            FdKind::Userfaultfd => "userfaultfd",
            FdKind::IoUring => "io_uring",
            FdKind::Memfd => "memfd",
            FdKind::Pidfd => "pidfd",
            FdKind::Unknown | FdKind::Unsupported => return None,
        })
    }

    /// `fd.typechar`.
    pub fn type_char(&self) -> u8 {
        match self {
            FdKind::File => b'f',
            FdKind::Directory => b'd',
            FdKind::Ip { .. } | FdKind::IpServer { .. } | FdKind::IpUnbound { .. } => {
                if self.is_v6() {
                    b'6'
                } else {
                    b'4'
                }
            }
            FdKind::Fifo => b'p',
            FdKind::Unix { .. } => b'u',
            FdKind::Event => b'e',
            FdKind::Unknown => b'o',
            FdKind::Unsupported => b'X',
            FdKind::Signalfd => b's',
            FdKind::Eventpoll => b'l',
            FdKind::Inotify => b'i',
            FdKind::Timerfd => b't',
            FdKind::Netlink => b'n',
            FdKind::Bpf => b'b',
            FdKind::Userfaultfd => b'u',
            FdKind::IoUring => b'r',
            FdKind::Memfd => b'm',
            FdKind::Pidfd => b'P',
        }
    }

    /// True for IP sockets of any state.
    pub fn is_ip(&self) -> bool {
        matches!(
            self,
            FdKind::Ip { .. } | FdKind::IpServer { .. } | FdKind::IpUnbound { .. }
        )
    }
}

/// One file descriptor. Also the bootstrap form for the capture's fd lists and /proc.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FdInfo {
    /// The fd number.
    pub fd: i64,
    /// Inode number (0 when unknown).
    pub ino: u64,
    /// Type and socket data.
    pub kind: FdKind,
    /// `fd.name`: absolute path, socket tuple text, or the kernel-given name.
    pub name: String,
    /// `fd.nameraw`: the path as given to the syscall.
    pub nameraw: String,
    /// Open flags (`PPM_O_*`).
    pub open_flags: u32,
    /// Device number.
    pub dev: u32,
    /// True when the process is the server end of the socket (accept, bind/listen).
    pub is_server: bool,
    /// True once connect/accept succeeded.
    pub connected: bool,
    /// True when the process is the client end: a connect, or a unix socket from the fd
    /// list without a path (libs' `set_role_client`). With `is_server` this is libs' socket
    /// role: neither means no role, and fields like `fd.cproto` are then absent.
    pub is_client: bool,
}

/// Counters of fd tables, for stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdCounters {
    /// fds refused because the process's table was full.
    pub dropped_full: u64,
    /// fds added.
    pub added: u64,
    /// fds removed.
    pub removed: u64,
}

/// The fds of one process, with a cap on their number. Entries are shared with per-event
/// snapshots and copied on write, like threads.
#[derive(Clone, Debug, Default)]
pub struct FdTable {
    fds: HashMap<i64, std::sync::Arc<FdInfo>>,
}

impl FdTable {
    /// The fd `fd`.
    #[inline]
    pub fn get(&self, fd: i64) -> Option<&FdInfo> {
        self.fds.get(&fd).map(|f| &**f)
    }

    /// The fd `fd`, shared: what a snapshot keeps.
    #[inline]
    pub fn get_shared(&self, fd: i64) -> Option<&std::sync::Arc<FdInfo>> {
        self.fds.get(&fd)
    }

    /// The fd `fd`, mutably (copied first when a snapshot still holds it).
    #[inline]
    pub fn get_mut(&mut self, fd: i64) -> Option<&mut FdInfo> {
        self.fds.get_mut(&fd).map(std::sync::Arc::make_mut)
    }

    /// Adds or replaces an fd unless the table holds `max` others; counts refusals.
    pub fn insert(&mut self, info: FdInfo, max: usize, counters: &mut FdCounters) -> bool {
        if self.fds.len() >= max && !self.fds.contains_key(&info.fd) {
            counters.dropped_full += 1;
            return false;
        }
        counters.added += 1;
        self.fds.insert(info.fd, std::sync::Arc::new(info));
        true
    }

    /// Removes an fd.
    pub fn remove(&mut self, fd: i64) -> Option<FdInfo> {
        self.fds.remove(&fd).map(std::sync::Arc::unwrap_or_clone)
    }

    /// Number of open fds.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// True when no fd is open.
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }

    /// Every fd, shared, in no particular order.
    pub fn iter_shared(&self) -> impl Iterator<Item = &std::sync::Arc<FdInfo>> {
        self.fds.values()
    }

    /// Every fd, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &FdInfo> {
        self.fds.values().map(|f| &**f)
    }
}

impl IpAddr {
    /// Writes the address as libsinsp prints it (dotted quad, or RFC 5952 IPv6).
    pub fn write(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        let _ = match self {
            IpAddr::V4(a) => write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            IpAddr::V6(a) => write!(out, "{}", std::net::Ipv6Addr::from(*a)),
        };
    }
}

/// Writes `ip:port` as libsinsp prints it (IPv6 without brackets).
pub fn write_ip_port(out: &mut Vec<u8>, ip: &IpAddr, port: u16) {
    use std::io::Write;
    ip.write(out);
    let _ = write!(out, ":{port}");
}
