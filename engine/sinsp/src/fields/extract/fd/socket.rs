//! `fd.*` fields of a socket: client, server, local and remote addresses and ports, the
//! protocols, the socket family and whether it is the server end.

use std::io::Write;

use falco_rules::field::Value;

use crate::fields::extract::EventContext;
use crate::fields::table::FdField as F;
use crate::state::fd::{l4, FdInfo, FdKind, IpAddr};

fn ip_value(ip: &IpAddr) -> Value<'static> {
    match *ip {
        IpAddr::V4(a) => Value::Ipv4(a),
        IpAddr::V6(a) => Value::Ipv6(a),
    }
}

impl EventContext<'_> {
    /// The socket fields of `fd`; the caller passes only those (every other field gives
    /// nothing here).
    pub(super) fn extract_fd_socket(
        &mut self,
        f: F,
        fd: &FdInfo,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let (cip, cport, sip, sport, l4p) = match fd.kind {
            FdKind::Ip {
                cip,
                cport,
                sip,
                sport,
                l4proto,
            } => (Some(cip), Some(cport), Some(sip), Some(sport), l4proto),
            FdKind::IpServer { ip, port, l4proto } => (None, None, Some(ip), Some(port), l4proto),
            // libs' get_l4proto: a socket neither client nor server has no protocol yet,
            // except a raw one.
            FdKind::IpUnbound { l4proto, .. } if l4proto == l4::RAW => {
                (None, None, None, None, l4proto)
            }
            FdKind::IpUnbound { .. } => (None, None, None, None, l4::UNKNOWN),
            _ => (None, None, None, None, l4::UNKNOWN),
        };
        // libs decides the local end from the host's interfaces, not from who connected:
        // the client end is local when its address is one of the machine's (a connection's
        // two ends are both named only for connected sockets).
        // Host threads carry the container id "host" (what `container.id` shows).
        let in_container = self
            .th
            .is_some_and(|t| !t.container_id.is_empty() && t.container_id != "host");
        let ifs = self.st.interfaces();
        let (lip, lport, rip, rport) = match (cip, sip) {
            (Some(c), Some(s)) if matches!(fd.kind, FdKind::Ip { .. }) => {
                if ifs.is_local(&c, in_container) {
                    (Some(c), cport, Some(s), sport)
                } else {
                    (Some(s), sport, Some(c), cport)
                }
            }
            _ => (None, None, None, None),
        };
        // libs' fd.is_server: a listening socket, or a connection whose server address is
        // one of the machine's. A socket with no peer yet keeps libs' zeroed tuple, so its
        // server address is 0.0.0.0 or `::`; `::` shares its first 64 bits with `::1`, so an
        // unconnected IPv6 socket of a host thread counts as a server when the machine has
        // the loopback address.
        let server = match fd.kind {
            FdKind::IpServer { .. } => true,
            FdKind::Ip { .. } => sip.is_some_and(|s| ifs.is_local(&s, in_container)),
            FdKind::IpUnbound { v6, .. } => {
                let zero = if v6 {
                    IpAddr::V6([0; 16])
                } else {
                    IpAddr::V4([0; 4])
                };
                ifs.is_local(&zero, in_container)
            }
            _ => false,
        };
        let one_ip = |ip: Option<IpAddr>, sink: &mut dyn FnMut(Value<'_>)| match ip {
            Some(ip) => {
                sink(ip_value(&ip));
                true
            }
            None => false,
        };
        let one_port = |p: Option<u16>, sink: &mut dyn FnMut(Value<'_>)| match p {
            Some(p) => {
                sink(Value::Uint(p as u64));
                true
            }
            None => false,
        };
        match f {
            // libs' compare_ip/compare_net/compare_port look at both ends of an IP socket
            // even before it has any: a socket not yet bound or connected is 0.0.0.0:0 on
            // both sides for fd.ip, fd.net, fd.port and fd.proto.
            F::Ip | F::Net if matches!(fd.kind, FdKind::IpUnbound { .. }) => {
                let zero = if matches!(fd.kind, FdKind::IpUnbound { v6: true, .. }) {
                    IpAddr::V6([0; 16])
                } else {
                    IpAddr::V4([0; 4])
                };
                sink(ip_value(&zero));
                sink(ip_value(&zero));
            }
            F::Port | F::Proto if matches!(fd.kind, FdKind::IpUnbound { .. }) => {
                sink(Value::Uint(0));
                sink(Value::Uint(0));
            }
            F::Ip | F::Net => {
                let mut any = false;
                for ip in [cip, sip].into_iter().flatten() {
                    sink(ip_value(&ip));
                    any = true;
                }
                return any;
            }
            F::Port | F::Proto => {
                let mut any = false;
                for p in [cport, sport].into_iter().flatten() {
                    sink(Value::Uint(p as u64));
                    any = true;
                }
                return any;
            }
            F::Cip | F::Cnet => return one_ip(cip, sink),
            F::Sip | F::Snet => return one_ip(sip, sink),
            F::Lip | F::Lnet => return one_ip(lip, sink),
            F::Rip | F::Rnet => return one_ip(rip, sink),
            F::Cport => return one_port(cport, sink),
            F::Sport => return one_port(sport, sink),
            F::Lport => return one_port(lport, sink),
            F::Rport => return one_port(rport, sink),
            // libs names a listening socket's client and server protocols with an empty
            // string (its port is printed for connected sockets only). The client protocol
            // needs a role, which bind/listen/connect/accept give: a listening socket taken
            // from the capture's fd list has none, so it has no fd.cproto, while a unix
            // socket with a role has the empty one.
            F::Cproto if matches!(fd.kind, FdKind::IpServer { .. } | FdKind::Unix { .. }) => {
                if !(fd.is_server || fd.is_client) {
                    return false;
                }
                sink(Value::Str(b""))
            }
            F::Sproto if matches!(fd.kind, FdKind::IpServer { .. }) => sink(Value::Str(b"")),
            F::Cproto | F::Sproto | F::Lproto | F::Rproto => {
                let p = match f {
                    F::Cproto => cport,
                    F::Sproto => sport,
                    F::Lproto => lport,
                    _ => rport,
                };
                let Some(p) = p else { return false };
                return self.str_out(sink, |o| {
                    let _ = write!(o, "{p}");
                });
            }
            F::L4proto => {
                let s: &[u8] = match l4p {
                    l4::TCP => b"tcp",
                    l4::UDP => b"udp",
                    l4::ICMP => b"icmp",
                    l4::RAW => b"raw",
                    _ => return false,
                };
                sink(Value::Str(s))
            }
            F::Sockfamily => {
                if fd.kind.is_ip() {
                    sink(Value::Str(b"ip"))
                } else if matches!(fd.kind, FdKind::Unix { .. }) {
                    sink(Value::Str(b"unix"))
                } else {
                    return false;
                }
            }
            F::IsServer => sink(Value::Bool(server)),
            _ => return false,
        }
        true
    }
}
