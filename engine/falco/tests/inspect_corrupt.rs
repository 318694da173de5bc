//! (d) falco-inspect on corrupt captures: a message naming the byte offset on stderr, exit
//! code 1, no panic. One test per case, all through `check`.

#[macro_use]
#[path = "../../scap/tests/common/corrupt.rs"]
mod corrupt;
mod inspect_common;

fn check(name: &str) {
    let case = corrupt::case(name);
    let dir = inspect_common::scratch(name);
    let file = dir.join("corrupt.scap");
    std::fs::write(&file, &case.bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = inspect_common::inspect(&["-r", file.to_str().unwrap_or_default()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert!(stderr.starts_with("falco-inspect: "), "{name}: {stderr}");
    match case.offset {
        Some(off) => assert!(
            stderr.contains(&format!("at byte offset {off}")),
            "{name}: want offset {off}: {stderr}"
        ),
        None => assert!(stderr.contains("at byte offset "), "{name}: {stderr}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

corrupt_case_tests!(check);

#[test]
fn missing_file_and_bad_filter_exit_1() {
    let out = inspect_common::inspect(&["-r", "/nonexistent/capture.scap"]);
    assert_eq!(out.status.code(), Some(1));
    let sample = corrupt::sample();
    let out = inspect_common::inspect(&["-r", sample.to_str().unwrap_or_default(), "evt.type="]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("column 10"));
}
