//! (c) Round trip through `falco-inspect -w`: sysdig lists the rewritten capture exactly as it
//! lists the original (type, tid and decoded arguments, which also depend on the process and
//! fd lists we rewrote), and our reader reads back identical records.

mod inspect_common;

use falco_scap::CaptureReader;

const FORMAT: &str = "%evt.num %evt.type %evt.dir %thread.tid %evt.args";

fn records(path: &std::path::Path) -> Vec<(u16, u32, Vec<u8>)> {
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut v = Vec::new();
    while let Some(ev) = r.next_event().unwrap_or_else(|e| panic!("{e}")) {
        v.push((ev.cpu, ev.flags, ev.record.as_bytes().to_vec()));
    }
    v
}

fn check(name: &str, path: &std::path::Path, sysdig_original: &std::path::Path, gzip: bool) {
    let dir = inspect_common::scratch(&format!("rt-{name}"));
    let out = dir.join(if gzip { "out.scap.gz" } else { "out.scap" });
    let out_s = out.to_str().unwrap_or_default();
    let mut args = vec!["-r", path.to_str().unwrap_or_default(), "-w", out_s];
    if gzip {
        args.push("-z");
    }
    inspect_common::inspect_ok(&args);

    let theirs_original = inspect_common::sysdig_ok(sysdig_original, FORMAT);
    let theirs_ours = inspect_common::sysdig_ok(&out, FORMAT);
    assert!(
        !theirs_original.is_empty(),
        "{name}: sysdig printed nothing"
    );
    let a: Vec<&str> = theirs_original.lines().collect();
    let b: Vec<&str> = theirs_ours.lines().collect();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "{name}: sysdig line {} differs", i + 1);
    }
    assert_eq!(a.len(), b.len(), "{name}: sysdig line count");

    assert_eq!(records(path), records(&out), "{name}: records read back");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sysdig_reads_our_rewrite_like_the_original() {
    let caps = falco_testdata::captures();
    let curl = caps
        .iter()
        .find(|(n, _)| *n == "curl_google")
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    for (i, (name, path)) in caps.iter().enumerate() {
        if *name == "busy_server" {
            continue; // covered by the reader-level round trip; too slow for sysdig twice
        }
        // sysdig 0.29 cannot read the original (section header options, see
        // inspect_sysdig.rs); its events are curl_google's.
        let original = if *name == "curl_google_comments" {
            &curl
        } else {
            path
        };
        check(name, path, original, i % 2 == 0);
    }
}
