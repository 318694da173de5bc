//! What every live test of the eBPF driver does the same way: require root, open the driver on
//! this process's tree only (the machine is shared), read every record back checked against
//! the schema, and assert that nothing was dropped.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use falco_ebpf::Options;
use falco_ringreader::RingSet;
use ringbuf_abi::Record;

/// One record, copied out of the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ev {
    pub ty: u16,
    pub tid: u64,
    pub params: Vec<Vec<u8>>,
}

/// Fails with what to do when not root: the tests load BPF programs.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the eBPF driver's live tests load BPF programs and need root (CAP_BPF, CAP_PERFMON): \
         run them as root, as CI does"
    );
}

/// Mounts tracefs at `/sys/kernel/tracing` when none is mounted where the driver looks, for a
/// test that attaches to perf tracepoints (their ids are read there): systemd mounts it at
/// boot, a bare machine such as CI's may not. Without it the driver's default is BTF
/// tracepoints, which the other tests cover.
pub fn ensure_tracefs() {
    let listed = |d: &str| std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_some());
    if listed("/sys/kernel/tracing") || listed("/sys/kernel/debug/tracing") {
        return;
    }
    require_root();
    let st = std::process::Command::new("mount")
        .args(["-t", "tracefs", "tracefs", "/sys/kernel/tracing"])
        .status();
    assert!(
        st.as_ref().is_ok_and(|s| s.success()),
        "no tracefs is mounted and mounting one at /sys/kernel/tracing failed ({st:?}): the \
         perf-tracepoint tests need it (mount -t tracefs tracefs /sys/kernel/tracing)"
    );
}

/// The driver's options for a test: this process and its descendants only.
pub fn own_tree() -> Options {
    Options {
        only_tree_of: Some(std::process::id()),
        ..Options::default()
    }
}

/// Opens the driver with `o` after checking for root.
pub fn open(o: &Options) -> RingSet {
    require_root();
    falco_ebpf::open(o).unwrap_or_else(|e| panic!("open the eBPF driver: {e}"))
}

/// Reads every record until the rings stay empty for `quiet`. Each record is parsed again from
/// its own bytes, as the engine parses it, and must have its whole length and its schema's
/// parameter count; the ones that do not are returned as messages.
pub fn drain(rs: &mut RingSet, quiet: Duration) -> (Vec<Ev>, Vec<String>) {
    let mut evs = Vec::new();
    let mut bad = Vec::new();
    let mut since = Instant::now();
    loop {
        let mut got = false;
        while let Some(r) = rs.next_record() {
            got = true;
            let rec = match r {
                Ok(rec) => rec,
                Err(e) => {
                    bad.push(e.to_string());
                    continue;
                }
            };
            let bytes = rec.as_bytes();
            match Record::parse(bytes) {
                Ok(again) if again.len() as usize != bytes.len() => {
                    bad.push(format!("length {} of {} bytes", again.len(), bytes.len()))
                }
                Ok(again) => {
                    let params: Vec<Vec<u8>> = again.params().iter().map(<[u8]>::to_vec).collect();
                    let schema = ringbuf_abi::event_info(again.evtype()).map(|i| i.params.len());
                    if schema != Some(params.len()) {
                        bad.push(format!(
                            "event {} with {} parameters, its schema has {schema:?}",
                            again.evtype(),
                            params.len()
                        ));
                    }
                    evs.push(Ev {
                        ty: again.evtype(),
                        tid: again.tid(),
                        params,
                    });
                }
                Err(e) => bad.push(e.to_string()),
            }
        }
        if got {
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            break;
        }
        let _ = rs.wait(10);
    }
    (evs, bad)
}

/// Nothing was dropped, in any category; a TooLarge drop also means a program pushed a
/// parameter count other than its schema's.
pub fn assert_no_drops(rs: &RingSet) {
    let stats = rs.stats();
    assert_eq!(
        stats.drops,
        [0; ringbuf_abi::ring::DROP_CATEGORIES],
        "records dropped (by category: syscall enter, syscall exit, process, too large, fault): \
         {stats:?}"
    );
}

/// The calling thread's id.
pub fn gettid() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u64 }
}
