//! `ptrace` exit events as the kernel module writes them (libs' current layout: res, addr and
//! data as `PT_DYN` with the `ptrace_dynamic_param` index byte, request, pid) print the same in
//! `falco-inspect -p` as in real sysdig 0.29.3.
//!
//! sysdig 0.29's table has the older three-parameter layout (res, addr, data), so the
//! comparison covers those three (plain values: the resolved `(NAME)` suffixes are dropped on
//! both sides, sysdig 0.29 resolving fewer); request and pid, which it does not know, are
//! checked against the values written (`evt.rawarg`) and their names (`evt.arg`). The
//! engine's libsinsp-style rendering, which falco-inspect prints, is pinned in
//! `engine/sinsp/tests/state_fields.rs`.

mod inspect_common;

use falco_scap::{CaptureMetadata, CaptureWriter};
use ringbuf_abi::ids::PPME_SYSCALL_PTRACE_X;
use ringbuf_abi::record::encode_record;
use ringbuf_abi::Record;

/// A `PT_DYN` value: index 0 is `PPM_PTRACE_IDX_UINT64`, 1 `PPM_PTRACE_IDX_SIGTYPE`.
enum Dyn {
    U64(u64),
    Sig(u8),
}

impl Dyn {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Dyn::U64(v) => [&[0u8][..], &v.to_le_bytes()].concat(),
            Dyn::Sig(s) => vec![1, *s],
        }
    }
}

/// The cases: (res, addr, data, PPM_PTRACE_* request, pid).
fn cases() -> Vec<(i64, Dyn, Dyn, u16, i64)> {
    vec![
        (0, Dyn::U64(0), Dyn::U64(0), 1, 0),
        (0, Dyn::U64(0), Dyn::U64(0), 11, 4242),
        (
            0,
            Dyn::U64(0x7ffd_1234_5678),
            Dyn::U64(0xdead_beef),
            3,
            4242,
        ),
        (0, Dyn::U64(0), Dyn::Sig(9), 8, 4242),
        (0, Dyn::U64(0), Dyn::Sig(0), 12, 4242),
        (-1, Dyn::U64(0), Dyn::U64(0), 16, 1),
        (-3, Dyn::U64(0), Dyn::U64(0), 20, 99999),
    ]
}

fn write_capture(path: &std::path::Path) {
    let mut w = CaptureWriter::new(Vec::new(), &CaptureMetadata::default()).expect("writer");
    let mut buf = vec![0u8; 256];
    for (i, (res, addr, data, req, pid)) in cases().iter().enumerate() {
        let (res, addr, data, req, pid) = (
            res.to_le_bytes(),
            addr.bytes(),
            data.bytes(),
            req.to_le_bytes(),
            pid.to_le_bytes(),
        );
        let params: [&[u8]; 5] = [&res, &addr, &data, &req, &pid];
        let ts = 1_700_000_000_000_000_000 + i as u64 * 1000;
        let n = encode_record(&mut buf, ts, 100, PPME_SYSCALL_PTRACE_X, &params).expect("encode");
        let rec = Record::parse(&buf[..n]).expect("parse");
        w.write_event(0, 0, &rec).expect("write");
    }
    std::fs::write(path, w.finish().expect("finish")).expect("save");
}

/// `name=value` tokens of an `evt.args` line, with the resolved suffix (`-1(EPERM)`,
/// `9(SIGKILL)`) dropped.
fn plain_tokens(line: &str) -> Vec<String> {
    line.split_whitespace()
        .map(|t| match t.find('(') {
            Some(i) if t.ends_with(')') => t[..i].to_string(),
            _ => t.to_string(),
        })
        .collect()
}

#[test]
fn ptrace_params_print_like_sysdig() {
    let path = inspect_common::scratch("ptrace_sysdig").join("ptrace.scap");
    write_capture(&path);
    let file = path.to_str().expect("utf-8 path");
    let ours = inspect_common::inspect_ok(&["-r", file, "-p", "%evt.type %evt.args"]);
    let theirs = inspect_common::sysdig_ok(&path, "%evt.type %evt.args");
    println!("ours:\n{ours}\nsysdig:\n{theirs}");
    let ours: Vec<Vec<String>> = ours.lines().map(plain_tokens).collect();
    let theirs: Vec<Vec<String>> = theirs.lines().map(plain_tokens).collect();
    assert_eq!(ours.len(), cases().len(), "one line per event (ours)");
    assert_eq!(theirs.len(), cases().len(), "one line per event (sysdig)");
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        // sysdig 0.29 knows type, res, addr, data; request and pid came later.
        assert_eq!(b.len(), 4, "sysdig line {i}: {b:?}");
        assert_eq!(a[..4], b[..], "event {i}: type, res, addr, data");
    }
    // The parameters sysdig 0.29 does not know, and the signal it resolves.
    let extra = inspect_common::inspect_ok(&[
        "-r",
        file,
        "-p",
        "%evt.rawarg.request %evt.rawarg.pid %evt.arg.request",
    ]);
    let names = [
        "PTRACE_TRACEME",
        "PTRACE_ATTACH",
        "PTRACE_PEEKDATA",
        "PTRACE_CONT",
        "PTRACE_DETACH",
        "PTRACE_GETSIGINFO",
        "PTRACE_SEIZE",
    ];
    let want: Vec<String> = cases()
        .iter()
        .zip(names)
        .map(|((_, _, _, req, pid), name)| format!("{req} {pid} {name}"))
        .collect();
    assert_eq!(extra.lines().collect::<Vec<_>>(), want);
    let sig = inspect_common::sysdig_ok(&path, "%evt.arg.data");
    assert_eq!(
        sig.lines().nth(3),
        Some("SIGKILL"),
        "data of PTRACE_CONT is a signal"
    );
}
