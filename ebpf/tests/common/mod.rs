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
