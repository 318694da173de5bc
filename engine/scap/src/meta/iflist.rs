//! The `IL` blocks: the machine's network interface addresses.

use super::cursor::{lossy, Cursor};
use crate::error::ScapError;

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
