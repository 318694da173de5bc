//! (a) Every reference capture reads without error, with the expected number of events.

mod common;

use falco_scap::CaptureReader;

fn check(name: &str, path: &std::path::Path, expected_events: u64) {
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: open: {e}"));
    let meta = r.metadata().clone();
    let mut n = 0u64;
    let mut max_len = 0;
    while let Some(ev) = r
        .next_event()
        .unwrap_or_else(|e| panic!("{name}: event {}: {e}", n + 1))
    {
        n += 1;
        max_len = max_len.max(ev.record.len());
        // Every parameter is reachable.
        assert_eq!(
            ev.record.params().iter().count(),
            ev.record.nparams() as usize
        );
    }
    let stats = r.stats();
    assert_eq!(
        n + stats.unknown_type_events,
        expected_events,
        "{name}: events (skipped unknown: {})",
        stats.unknown_type_events
    );
    assert!(meta.machine.is_some(), "{name}: machine info");
    assert!(!meta.threads.is_empty(), "{name}: threads");
    assert!(!meta.fd_lists.is_empty(), "{name}: fd lists");
    assert!(!meta.interfaces.is_empty(), "{name}: interfaces");
    assert!(!meta.users.is_empty(), "{name}: users");
    eprintln!(
        "{name}: {n} events, {} threads, {} fd lists, {} ifs, {} users, {} groups, v{}.{}, max event {max_len}",
        meta.threads.len(),
        meta.fd_lists.len(),
        meta.interfaces.len(),
        meta.users.len(),
        meta.groups.len(),
        meta.major_version,
        meta.minor_version
    );
}

#[test]
fn every_reference_capture_reads() {
    for (name, path, events) in common::captures() {
        check(name, &path, events);
    }
}
