//! (e) The converter on every reference capture (three of them in the 2016 v1 format, five in
//! the 2022 schema): the converted stream is in the current schema only.

mod common;

use falco_scap::convert::current_id;
use falco_scap::CaptureReader;
use ringbuf_abi::schema::category::EC_SYSCALL;
use ringbuf_abi::schema::flags::EF_CONVERTER_MANAGED;
use ringbuf_abi::{Direction, EVENT_TABLE};

/// Enter events current libs still delivers for syscalls.
/// The syscall enter events libs 0.25's converter passes on: the open family and connect
/// (current layouts) and the execve/execveat enters (old layouts it still passes, for the
/// execve parser's fallback).
const KEPT_SYSCALL_ENTERS: &[&str] = &[
    "open", "openat", "openat2", "creat", "connect", "execve", "execveat",
];

struct Converted {
    events: u64,
    dropped: u64,
    execve_exits: u64,
    rewritten_with_enter_params: u64,
}

fn check(name: &str, path: &std::path::Path) -> Converted {
    let mut raw = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut stored = 0u64;
    while raw.next_event().unwrap_or_else(|e| panic!("{e}")).is_some() {
        stored += 1;
    }

    let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    r.set_convert(true);
    let execve_x = current_id(ringbuf_abi::ids::PPME_SYSCALL_EXECVE_19_X)
        .unwrap_or_else(|| panic!("execve has a current exit"));
    let mut c = Converted {
        events: 0,
        dropped: 0,
        execve_exits: 0,
        rewritten_with_enter_params: 0,
    };
    while let Some(ev) = r.next_event().unwrap_or_else(|e| panic!("{name}: {e}")) {
        c.events += 1;
        let rec = ev.record;
        let info = &EVENT_TABLE[rec.evtype() as usize];
        // libs passes the last execve enter layouts, which its table flags as old.
        let kept_old = matches!(
            rec.evtype(),
            ringbuf_abi::ids::PPME_SYSCALL_EXECVE_19_E | ringbuf_abi::ids::PPME_SYSCALL_EXECVEAT_E
        );
        assert!(
            !info.is_old_version() || kept_old,
            "{name}: old id {} ({}) after conversion",
            rec.evtype(),
            info.code
        );
        if info.direction == Direction::Enter && info.category & EC_SYSCALL != 0 {
            assert!(
                KEPT_SYSCALL_ENTERS.contains(&info.name),
                "{name}: enter event {} kept",
                info.code
            );
        }
        if info.flags & EF_CONVERTER_MANAGED != 0 {
            assert_eq!(
                rec.nparams() as usize,
                info.params.len(),
                "{name}: {} has {} of {} params",
                info.code,
                rec.nparams(),
                info.params.len()
            );
        }
        if rec.evtype() == execve_x {
            c.execve_exits += 1;
            // Current param count, and the exe/args the exit always carried survive.
            assert!(
                rec.param(1).is_some_and(|exe| !exe.is_empty()),
                "{name}: execve exe"
            );
        }
        // read exits in old captures lack fd/size: they come from the enter event.
        if info.name == "read" && rec.param(2).is_some_and(|fd| !fd.is_empty()) {
            c.rewritten_with_enter_params += 1;
        }
    }
    c.dropped = r.stats().converter_dropped;
    assert_eq!(
        c.events + c.dropped,
        stored,
        "{name}: every event delivered or dropped"
    );
    assert!(c.dropped > 0, "{name}: old enter events were dropped");
    c
}

#[test]
fn converted_streams_are_in_the_current_schema() {
    let mut execve = 0;
    let mut with_enter = 0;
    for (name, path, _) in common::captures() {
        let c = check(name, &path);
        execve += c.execve_exits;
        with_enter += c.rewritten_with_enter_params;
        eprintln!(
            "{name}: {} events after conversion, {} dropped",
            c.events, c.dropped
        );
    }
    assert!(execve > 10, "execve exits seen: {execve}");
    assert!(
        with_enter > 100,
        "read exits completed from their enter: {with_enter}"
    );
}

#[test]
fn old_ids_map_to_current_ones_of_the_same_name() {
    let mut old = 0;
    for info in EVENT_TABLE.iter().filter(|i| i.is_old_version()) {
        if let Some(cur) = current_id(info.id) {
            let c = &EVENT_TABLE[cur as usize];
            assert!(!c.is_old_version());
            // The old accept4 layouts, named `accept` in the 2022 table, become accept4 as in
            // libs' table (`PPME_SOCKET_ACCEPT4_X` and `_5_X` to `PPME_SOCKET_ACCEPT4_6_X`).
            let name = if info.code.starts_with("PPME_SOCKET_ACCEPT4_") {
                "accept4"
            } else {
                info.name
            };
            assert_eq!((c.name, c.direction), (name, info.direction));
            old += 1;
        }
    }
    assert!(old >= 30, "{old}");
    // Every old exit has a current version; enters without one are dropped.
    assert!(EVENT_TABLE
        .iter()
        .filter(|i| i.is_old_version() && i.direction == Direction::Exit)
        .all(|i| current_id(i.id).is_some()));
}

#[test]
fn exit_takes_parameters_from_its_enter() {
    // A hand-made v2 pair: read enter (fd=7, size=100) then an old-style read exit with only
    // (res, data): the converted exit carries fd and size from the enter.
    use ringbuf_abi::{encode_record, ids, Record};
    let mut conv = falco_scap::Converter::new();
    let mut b = [0u8; 256];
    let n = encode_record(
        &mut b,
        1,
        42,
        ids::PPME_SYSCALL_READ_E,
        &[&7i64.to_le_bytes(), &100u32.to_le_bytes()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let enter = Record::parse(&b[..n]).unwrap_or_else(|e| panic!("{e}"));
    assert!(conv.convert(enter).is_none(), "old enter dropped");
    let mut b = [0u8; 256];
    let n = encode_record(
        &mut b,
        2,
        42,
        ids::PPME_SYSCALL_READ_X,
        &[&5i64.to_le_bytes(), b"hello"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let exit = Record::parse(&b[..n]).unwrap_or_else(|e| panic!("{e}"));
    let out = conv.convert(exit).unwrap_or_else(|| panic!("exit kept"));
    let params: Vec<&[u8]> = out.params().iter().collect();
    assert_eq!(
        params,
        vec![
            &5i64.to_le_bytes()[..],
            b"hello",
            &7i64.to_le_bytes()[..],
            &100u32.to_le_bytes()[..]
        ]
    );
    assert_eq!((out.ts(), out.tid()), (2, 42));
}
