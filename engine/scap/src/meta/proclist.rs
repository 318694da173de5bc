//! The `PL` blocks: the process (thread) list, read in every version (1..=9) and written as
//! version 9.

use super::cursor::{put_nul_list, put_path, Cursor};
use crate::block;
use crate::error::ScapError;

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

/// Appends one PL_V9 thread entry.
pub(crate) fn encode_thread_v9(t: &ThreadEntry, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    for v in [t.tid, t.pid, t.ptid, t.sid, t.vpgid] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    put_path(out, t.comm.as_bytes());
    put_path(out, t.exe.as_bytes());
    put_path(out, t.exepath.as_bytes());
    put_nul_list(out, &t.args);
    put_path(out, t.cwd.as_bytes());
    out.extend_from_slice(&t.fdlimit.to_le_bytes());
    for v in [t.flags, t.uid, t.gid, t.vmsize_kb, t.vmrss_kb, t.vmswap_kb] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&t.pfmajor.to_le_bytes());
    out.extend_from_slice(&t.pfminor.to_le_bytes());
    put_nul_list(out, &t.env);
    out.extend_from_slice(&t.vtid.to_le_bytes());
    out.extend_from_slice(&t.vpid.to_le_bytes());
    put_nul_list(out, &t.cgroups);
    put_path(out, t.root.as_bytes());
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
