//! The thread table of `falco-inspect`: tid -> (pid, command name), seeded from the capture's
//! process list and kept current from the exec and clone exit events.

use std::collections::HashMap;

use falco_scap::CaptureMetadata;
use ringbuf_abi::{Direction, EventInfo, Record};

/// What the tool knows about one thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    /// Process id.
    pub pid: u64,
    /// Command name.
    pub comm: String,
}

/// tid -> thread info.
#[derive(Debug, Default)]
pub struct ThreadTable {
    map: HashMap<u64, ThreadInfo>,
}

/// Events whose exit carries the thread's identity (`tid`, `pid`, `comm`).
const IDENTITY_EVENTS: &[&str] = &["execve", "execveat", "clone", "clone3", "fork", "vfork"];

impl ThreadTable {
    /// Seeds the table from the capture's process list.
    pub fn from_metadata(meta: &CaptureMetadata) -> Self {
        let map = meta
            .threads
            .iter()
            .map(|t| {
                (
                    t.tid,
                    ThreadInfo {
                        pid: t.pid,
                        comm: t.comm.clone(),
                    },
                )
            })
            .collect();
        ThreadTable { map }
    }

    /// Looks a thread up.
    pub fn get(&self, tid: u64) -> Option<&ThreadInfo> {
        self.map.get(&tid)
    }

    /// Learns from one event: exec and clone exits name their thread.
    pub fn update(&mut self, rec: &Record<'_>, info: Option<&EventInfo>) {
        let Some(info) = info else { return };
        if info.direction != Direction::Exit || !IDENTITY_EVENTS.contains(&info.name) {
            return;
        }
        let param = |name: &str| {
            info.params
                .iter()
                .position(|p| p.name == name)
                .and_then(|i| rec.param(i))
        };
        let as_u64 = |v: &[u8]| -> Option<u64> { Some(u64::from_le_bytes(v.try_into().ok()?)) };
        let tid = param("tid").and_then(as_u64).unwrap_or_else(|| rec.tid());
        let pid = param("pid").and_then(as_u64);
        let comm = param("comm")
            .filter(|v| !v.is_empty())
            .or_else(|| param("exe"))
            .map(|v| {
                let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
                let s = String::from_utf8_lossy(&v[..end]).into_owned();
                // `exe` is argv[0]: keep the basename, as the kernel's comm would.
                s.rsplit('/').next().unwrap_or("").to_string()
            });
        let entry = self.map.entry(tid).or_insert(ThreadInfo {
            pid: pid.unwrap_or(tid),
            comm: String::new(),
        });
        if let Some(pid) = pid {
            entry.pid = pid;
        }
        if let Some(c) = comm {
            entry.comm = c;
        }
    }
}
