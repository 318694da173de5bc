//! The `UL` blocks: users and groups.

use super::cursor::{put_lbytes, Cursor};
use crate::error::ScapError;

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
