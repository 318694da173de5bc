//! The `MI` block: the machine the capture was taken on.

use super::cursor::{lossy, Cursor};
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

/// Parses an `MI` block body.
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

/// Appends an `MI` block body.
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
