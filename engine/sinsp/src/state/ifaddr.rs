//! The host's network interface addresses (scap's interface list, libsinsp's
//! `sinsp_network_interfaces`): which end of a connection is local for `fd.lip`, `fd.rip`,
//! `fd.lport`, `fd.rport`, `fd.lproto`, `fd.rproto`, `fd.lnet` and `fd.rnet`.

use super::fd::IpAddr;

/// Interface addresses of the machine: from a capture's `IL` block or, live, from
/// `/proc/net/fib_trie` (IPv4) and `/proc/net/if_inet6` (IPv6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interfaces {
    v4: Vec<[u8; 4]>,
    v6: Vec<[u8; 16]>,
}

impl Interfaces {
    /// The list of `addrs`.
    pub fn new(addrs: impl IntoIterator<Item = IpAddr>) -> Interfaces {
        let mut i = Interfaces::default();
        for a in addrs {
            match a {
                IpAddr::V4(a) if !i.v4.contains(&a) => i.v4.push(a),
                IpAddr::V6(a) if !i.v6.contains(&a) => i.v6.push(a),
                _ => {}
            }
        }
        i
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// True when no address is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// libsinsp's `is_ipv4addr_in_local_machine` / `is_ipv6addr_in_local_machine`. For a
    /// host thread: an IPv4 address is local when an interface has exactly it, an IPv6 one
    /// when its first 64 bits are an interface's (libs' `ipv6addr::in_subnet`). For a thread
    /// in a container libs compares IPv4 addresses with the container IPs the container
    /// plugin knows (none here, so never local) and never calls IPv6 addresses local.
    pub fn is_local(&self, ip: &IpAddr, in_container: bool) -> bool {
        if in_container {
            return false;
        }
        match ip {
            IpAddr::V4(a) => self.v4.contains(a),
            IpAddr::V6(a) => self.v6.iter().any(|n| n[..8] == a[..8]),
        }
    }
}

/// The local IPv4 addresses in `/proc/net/fib_trie` text: each `|-- ADDR` leaf followed by
/// a `/32 host LOCAL` line.
pub fn parse_fib_trie(text: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    let mut leaf: Option<[u8; 4]> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(a) = t.strip_prefix("|-- ") {
            leaf = a.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets());
        } else if t.starts_with("/32 host LOCAL") {
            if let Some(a) = leaf {
                if !out.contains(&IpAddr::V4(a)) {
                    out.push(IpAddr::V4(a));
                }
            }
        }
    }
    out
}

/// The IPv6 addresses in `/proc/net/if_inet6` text (32 hex digits first on each line).
pub fn parse_if_inet6(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|l| {
            let hex = l.split_whitespace().next()?;
            if hex.len() != 32 {
                return None;
            }
            let mut a = [0u8; 16];
            for (i, b) in a.iter_mut().enumerate() {
                *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
            }
            Some(IpAddr::V6(a))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses_from_proc_text() {
        let trie = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 127.0.0.0/8 2 0 2\n        |-- 127.0.0.1\n           /32 host LOCAL\n        |-- 127.255.255.255\n           /32 link BROADCAST\n     |-- 10.0.2.15\n        /32 host LOCAL\nLocal:\n     |-- 10.0.2.15\n        /32 host LOCAL\n";
        assert_eq!(
            parse_fib_trie(trie),
            vec![IpAddr::V4([127, 0, 0, 1]), IpAddr::V4([10, 0, 2, 15])]
        );
        let inet6 = "00000000000000000000000000000001 01 80 10 80       lo\nfe800000000000000000000000000001 02 40 20 80     eth0\n";
        let v6 = parse_if_inet6(inet6);
        assert_eq!(v6.len(), 2);
        let ifs = Interfaces::new(v6);
        let mut lo = [0u8; 16];
        lo[15] = 1;
        assert!(ifs.is_local(&IpAddr::V6(lo), false));
        assert!(!ifs.is_local(&IpAddr::V6(lo), true));
        let mut other = [0u8; 16];
        other[0] = 0x20;
        assert!(!ifs.is_local(&IpAddr::V6(other), false));
        // Same /64 as fe80::1.
        let mut link = [0u8; 16];
        link[0] = 0xfe;
        link[1] = 0x80;
        link[15] = 9;
        assert!(ifs.is_local(&IpAddr::V6(link), false));
    }
}
