//! The programs and `ringbuf-abi` agree: every event the C sources build exists in the schema
//! in its current layout with u16 parameter lengths, the programs produce the same set of
//! events as the kernel module, and every program of the object has its place in the loader's
//! tables. (The parameter counts themselves come from `falco_abi.h`, generated from the schema;
//! the live tests check every record's parameters against it.)

use std::collections::BTreeSet;
use std::path::Path;

use ringbuf_abi::schema::flags::EF_OLD_VERSION;

/// Every `PPME_*` name in `text` that is used as an event (not the `_NP` counts).
fn events_named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("PPME_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        if !name.ends_with("_NP") && !name.ends_with("_LARGE") {
            out.insert(name.to_string());
        }
        rest = &tail[end..];
    }
    out
}

fn bpf_sources() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bpf");
    let mut all = String::new();
    for e in std::fs::read_dir(&dir).expect("ebpf/bpf") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "h" || x == "c") {
            all.push_str(&std::fs::read_to_string(&p).expect("read"));
        }
    }
    all
}

#[test]
fn every_event_the_programs_build_is_current_with_short_lengths() {
    let named = events_named(&bpf_sources());
    assert!(named.len() > 5, "found only {named:?}");
    for name in &named {
        let info = ringbuf_abi::EVENT_TABLE
            .iter()
            .find(|e| e.code == name)
            .unwrap_or_else(|| panic!("{name} is not in ringbuf-abi's event table"));
        assert_eq!(info.flags & EF_OLD_VERSION, 0, "{name} is an old layout");
        assert!(!info.is_large_payload(), "{name} needs u32 lengths");
    }
}

#[test]
fn the_programs_produce_the_modules_events() {
    let kmod = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kmod/events.rs");
    let module = events_named(&std::fs::read_to_string(kmod).expect("kmod/events.rs"));
    let ebpf = events_named(&bpf_sources());
    let missing: Vec<_> = module.difference(&ebpf).collect();
    let extra: Vec<_> = ebpf.difference(&module).collect();
    assert!(
        missing.is_empty(),
        "events the module produces and the eBPF programs do not: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "events the eBPF programs produce and the module does not: {extra:?}"
    );
}

#[test]
fn every_program_has_its_place_in_the_loader() {
    assert!(
        falco_ebpf::programs_built(),
        "this build has no eBPF programs: install clang and libbpf-dev (scripts/test-deps)"
    );
    let obj = aya_obj::Object::parse(falco_ebpf::OBJECT).expect("the object parses");
    let classic =
        aya_obj::Object::parse(falco_ebpf::OBJECT_CLASSIC).expect("the classic object parses");
    let fixed: Vec<&str> = falco_ebpf::fixed_programs().collect();
    for o in [&obj, &classic] {
        for name in o.programs.keys() {
            if falco_ebpf::syscalls::program_syscall(name).is_some() {
                continue;
            }
            assert!(
                fixed.contains(&name.as_str()),
                "program {name} is neither a syscall's (x_/e_ + a name in syscalls.rs) nor in \
                 the loader's ATTACHED or BODIES tables"
            );
        }
    }
    // Every dispatcher, fallback and body the loader attaches or tail-calls is in the object;
    // the classic one has them all but those of its perf tracepoints (syscalls, exec, exit),
    // and the same syscall programs.
    for name in &fixed {
        assert!(
            obj.programs.contains_key(*name),
            "the loader names {name}, the object has no such program"
        );
        // Perf tracepoints need no fallback, and exec and exit need no tail-called body.
        let perf_only = name.starts_with("sys_") && name.ends_with("_b")
            || name.starts_with("sched_process_exec_")
            || name.starts_with("sched_process_exit_");
        assert_eq!(
            classic.programs.contains_key(*name),
            !perf_only,
            "{name} in the classic object"
        );
    }
    let syscall_programs = |o: &aya_obj::Object| {
        let mut v: Vec<String> = o
            .programs
            .keys()
            .filter(|n| falco_ebpf::syscalls::program_syscall(n).is_some())
            .cloned()
            .collect();
        v.sort();
        v
    };
    assert_eq!(syscall_programs(&obj), syscall_programs(&classic));
    // Every syscall the loader names has its exit program in the object: no stale rows.
    for (name, _) in falco_ebpf::syscalls::SYSCALLS {
        assert!(
            obj.programs.contains_key(&format!("x_{name}")),
            "syscalls.rs names {name}, the object has no x_{name}"
        );
    }
}
