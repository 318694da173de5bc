//! Issue #16 items 2 and 3 through the driver's own controls: a burst larger than the smallest
//! buffer with a stalled reader drops and counts by category and leaves no corrupt record; the
//! event mask, snaplen and drop_failed_exit change what the attached programs capture, in place.
//!
//! Needs root (BPF). The tests capture this process's own tree (the machine is shared) and
//! run one at a time (one lock), so that one test's syscalls are not another's.

mod common;

use std::ffi::CString;
use std::sync::Mutex;
use std::time::Duration;

use falco_ebpf::Options;
use falco_ringreader::RingSet;
use ringbuf_abi::ids::*;
use ringbuf_abi::ioctl::EventMask;
use ringbuf_abi::ring::DropCategory;

use common::{gettid, Ev};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn open(preset: u32) -> RingSet {
    common::open(&Options {
        buf_size_preset: preset,
        ..common::own_tree()
    })
}

/// Runs `f` with capture on, then reads what it produced. Capture is off while reading: the
/// reader is in the captured tree, and its own syscalls would never let the rings go quiet.
fn capture(rs: &mut RingSet, f: impl FnOnce()) -> (Vec<Ev>, Vec<String>) {
    rs.enable().expect("enable");
    f();
    rs.disable().expect("disable");
    common::drain(rs, Duration::from_millis(20))
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

/// `n` times: openat of a missing file (an enter and an exit event) and getppid (a generic
/// exit event).
fn burst(n: u32) {
    let missing = cstr("/nonexistent-falco-overload");
    for _ in 0..n {
        // SAFETY: valid NUL-terminated path; the fd is closed when one is returned.
        unsafe {
            let fd = libc::openat(libc::AT_FDCWD, missing.as_ptr(), libc::O_RDONLY);
            if fd >= 0 {
                libc::close(fd);
            }
            libc::getppid();
        }
    }
}

#[test]
fn burst_beyond_the_smallest_buffer_drops_by_category() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut rs = open(1);
    let ring_bytes: u64 = rs.rings().iter().map(|r| r.size()).sum();
    assert_eq!(rs.rings()[0].size(), 1 << 20, "buf_size_preset 1 is 1 MiB");
    rs.enable().expect("enable");
    // Stalled reader: ~200 bytes per iteration, far more than the rings hold.
    let n = 60_000;
    burst(n);
    rs.disable().expect("disable");
    let st = rs.stats();
    let d = |c: DropCategory| st.drops[c as usize];
    assert!(
        d(DropCategory::SyscallEnter) > 0 && d(DropCategory::SyscallExit) > 0,
        "both categories of the burst must count drops: {st:?} (ring bytes {ring_bytes})"
    );
    assert_eq!(d(DropCategory::TooLarge), 0, "{st:?}");
    assert_eq!(d(DropCategory::Fault), 0, "{st:?}");
    // Every event of the burst was either written or counted as dropped.
    let total = st.events + st.drops.iter().sum::<u64>();
    assert!(
        total >= 3 * n as u64,
        "{total} events produced or dropped for {} syscalls events",
        3 * n
    );
    assert!(st.pending <= ring_bytes, "{st:?}");
    // Everything the rings kept decodes, and is exactly what the driver counted as written.
    let (evs, bad) = common::drain(&mut rs, Duration::from_millis(100));
    assert!(
        bad.is_empty(),
        "{} bad records of {}: {bad:?}",
        bad.len(),
        evs.len()
    );
    assert_eq!(evs.len() as u64, st.events, "records read vs written");
    let me = gettid();
    let openat_e = evs
        .iter()
        .filter(|e| e.ty == PPME_SYSCALL_OPENAT_2_E && e.tid == me)
        .count();
    assert!(openat_e > 1000, "only {openat_e} openat enter events kept");
    // Capture resumes once the reader has caught up, without new drops.
    let drops_before: u64 = st.drops.iter().sum();
    let (evs2, bad2) = capture(&mut rs, || burst(100));
    let after = rs.stats();
    assert!(bad2.is_empty(), "{bad2:?}");
    assert!(evs2.len() >= 300, "{} records after the drain", evs2.len());
    assert_eq!(after.drops.iter().sum::<u64>(), drops_before, "{after:?}");
}

fn mask_of(types: &[u16]) -> EventMask {
    let mut m = EventMask::default();
    for t in types {
        m.set(*t);
    }
    m
}

/// openat of `/etc/hostname` and getppid, `n` times each.
fn mixed(n: u32) {
    let path = cstr("/etc/hostname");
    for _ in 0..n {
        // SAFETY: valid NUL-terminated path; the fd is closed when one is returned.
        unsafe {
            let fd = libc::openat(libc::AT_FDCWD, path.as_ptr(), libc::O_RDONLY);
            if fd >= 0 {
                libc::close(fd);
            }
            libc::getppid();
        }
    }
}

fn count(evs: &[Ev], t: u16) -> usize {
    let me = gettid();
    evs.iter().filter(|e| e.ty == t && e.tid == me).count()
}

#[test]
fn event_mask_changes_capture_in_place() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut rs = open(1);
    rs.set_event_mask(&mask_of(&[
        PPME_SYSCALL_OPENAT_2_E,
        PPME_SYSCALL_OPENAT_2_X,
    ]))
    .expect("mask");
    let (evs, bad) = capture(&mut rs, || mixed(50));
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(count(&evs, PPME_SYSCALL_OPENAT_2_X), 50, "{evs:?}");
    assert_eq!(count(&evs, PPME_SYSCALL_OPENAT_2_E), 50);
    assert!(
        evs.iter()
            .all(|e| e.ty == PPME_SYSCALL_OPENAT_2_E || e.ty == PPME_SYSCALL_OPENAT_2_X),
        "an event outside the mask: {:?}",
        evs.iter().map(|e| e.ty).collect::<Vec<_>>()
    );
    // Same programs, same rings: only the mask map changes.
    rs.set_event_mask(&mask_of(&[PPME_GENERIC_X, PPME_SYSCALL_CLOSE_X]))
        .expect("mask");
    let (evs, bad) = capture(&mut rs, || mixed(50));
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(count(&evs, PPME_SYSCALL_OPENAT_2_X), 0);
    assert_eq!(count(&evs, PPME_SYSCALL_CLOSE_X), 50);
    // getppid's generic events carry its syscall number as the second parameter.
    let getppid = evs
        .iter()
        .filter(|e| {
            e.ty == PPME_GENERIC_X
                && e.params.get(1).map(|p| p.as_slice())
                    == Some(&(libc::SYS_getppid as u16).to_le_bytes()[..])
        })
        .count();
    assert!(getppid >= 50, "{getppid} generic getppid events");
}

#[test]
fn drop_failed_exit_drops_failed_exits_only() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut rs = open(1);
    rs.set_event_mask(&mask_of(&[
        PPME_SYSCALL_OPENAT_2_E,
        PPME_SYSCALL_OPENAT_2_X,
    ]))
    .expect("mask");
    let ok = cstr("/etc/hostname");
    let missing = cstr("/nonexistent-falco-drop-failed");
    let run = || {
        for p in [&ok, &missing] {
            // SAFETY: valid NUL-terminated path; the fd is closed when one is returned.
            unsafe {
                let fd = libc::openat(libc::AT_FDCWD, p.as_ptr(), libc::O_RDONLY);
                if fd >= 0 {
                    libc::close(fd);
                }
            }
        }
    };
    let exits = |evs: &[Ev]| -> Vec<i64> {
        evs.iter()
            .filter(|e| e.ty == PPME_SYSCALL_OPENAT_2_X && e.tid == gettid())
            .map(|e| i64::from_le_bytes(e.params[0][..8].try_into().expect("res")))
            .collect()
    };
    let (evs, _) = capture(&mut rs, run);
    let res = exits(&evs);
    assert_eq!(res.len(), 2, "{res:?}");
    assert!(res[0] >= 0 && res[1] == -(libc::ENOENT as i64), "{res:?}");
    rs.set_drop_failed(true).expect("drop_failed");
    let (evs, _) = capture(&mut rs, run);
    let res = exits(&evs);
    assert_eq!(res.len(), 1, "the failed openat's exit must go: {res:?}");
    assert!(res[0] >= 0);
    // Enter events are not results: both stay, as with the module.
    assert_eq!(count(&evs, PPME_SYSCALL_OPENAT_2_E), 2);
    rs.set_drop_failed(false).expect("drop_failed");
    let (evs, _) = capture(&mut rs, run);
    assert_eq!(exits(&evs).len(), 2);
}

#[test]
fn snaplen_cuts_data_buffers() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut rs = open(1);
    rs.set_event_mask(&mask_of(&[PPME_SYSCALL_WRITE_X]))
        .expect("mask");
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("/dev/null");
    let data = [0x5au8; 200];
    let mut lens = Vec::new();
    for snaplen in [16u32, 80, 200] {
        rs.set_snaplen(snaplen).expect("snaplen");
        let (evs, bad) = capture(&mut rs, || {
            std::io::Write::write_all(&mut &null, &data).expect("write")
        });
        assert!(bad.is_empty(), "{bad:?}");
        let w: Vec<&Ev> = evs
            .iter()
            .filter(|e| e.ty == PPME_SYSCALL_WRITE_X && e.tid == gettid())
            .collect();
        assert_eq!(
            w.len(),
            1,
            "one write exit event (the write filler must be built)"
        );
        let d = &w[0].params[1];
        assert!(d.iter().all(|&b| b == 0x5a), "data {d:?}");
        lens.push(d.len());
    }
    assert_eq!(lens, [16, 80, 200]);
    assert!(rs.set_snaplen(0).is_err(), "snaplen 0 is refused");
}
