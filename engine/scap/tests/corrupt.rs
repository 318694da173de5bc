//! (d) Corrupt input gives a typed error naming the byte offset, never a panic.

mod common;
#[path = "common/corrupt.rs"]
mod corrupt;

use std::io::Cursor;

use falco_scap::{CaptureReader, ScapError};

fn variant(e: &ScapError) -> &'static str {
    match e {
        ScapError::Io { .. } => "Io",
        ScapError::Gzip { .. } => "Gzip",
        ScapError::Truncated { .. } => "Truncated",
        ScapError::BadMagic { .. } => "BadMagic",
        ScapError::UnsupportedVersion { .. } => "UnsupportedVersion",
        ScapError::BadBlockLength { .. } => "BadBlockLength",
        ScapError::BadBlock { .. } => "BadBlock",
        ScapError::BadEvent { .. } => "BadEvent",
        ScapError::BadV1Event { .. } => "BadV1Event",
        ScapError::Unencodable { .. } => "Unencodable",
    }
}

/// Reads the whole input and returns the first error.
fn first_error(bytes: Vec<u8>) -> Option<ScapError> {
    let mut r = match CaptureReader::from_reader(Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return Some(e),
    };
    loop {
        match r.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

fn check(name: &str) {
    let sample = common::reference().join("scap/libs/sample.scap");
    let case = corrupt::cases(&sample)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let e = first_error(case.bytes).unwrap_or_else(|| panic!("{name}: no error"));
    let msg = e.to_string();
    if case.variant != "*" {
        assert_eq!(variant(&e), case.variant, "{name}: {msg}");
    }
    let off = e
        .offset()
        .unwrap_or_else(|| panic!("{name}: no offset in {msg}"));
    if let Some(want) = case.offset {
        assert_eq!(off, want, "{name}: {msg}");
    }
    assert!(msg.contains(&format!("byte offset {off}")), "{name}: {msg}");
}

#[test]
fn truncated_file() {
    check("truncated_file");
}
#[test]
fn bad_block_length_huge() {
    check("bad_block_length_huge");
}
#[test]
fn bad_block_length_trailer() {
    check("bad_block_length_trailer");
}
#[test]
fn bad_block_length_tiny() {
    check("bad_block_length_tiny");
}
#[test]
fn bad_magic() {
    check("bad_magic");
}
#[test]
fn bad_magic_not_scap() {
    check("bad_magic_not_scap");
}
#[test]
fn bad_gzip_checksum() {
    check("bad_gzip_checksum");
}
#[test]
fn bad_gzip_scrambled_data() {
    check("bad_gzip_scrambled_data");
}
#[test]
fn bad_gzip_header_then_garbage() {
    check("bad_gzip_header_then_garbage");
}
#[test]
fn param_lengths_overrun_event() {
    check("param_lengths_overrun_event");
}
#[test]
fn nparams_overrun_event() {
    check("nparams_overrun_event");
}
#[test]
fn event_length_overruns_block() {
    check("event_length_overruns_block");
}

#[test]
fn every_case_has_a_test() {
    let sample = common::reference().join("scap/libs/sample.scap");
    let names: Vec<_> = corrupt::cases(&sample).iter().map(|c| c.name).collect();
    assert_eq!(
        names.len(),
        12,
        "add a #[test] for each new case: {names:?}"
    );
}

#[test]
fn every_truncation_point_errors_without_panicking() {
    // Cutting a real capture anywhere gives a clean error (or a shorter, valid file when the
    // cut falls on a block boundary), never a panic.
    let sample = common::reference().join("scap/libs/sample.scap");
    let orig = std::fs::read(&sample).unwrap_or_else(|e| panic!("{e}"));
    let mut errors = 0;
    for cut in (0..orig.len()).step_by(97) {
        if let Some(e) = first_error(orig[..cut].to_vec()) {
            assert!(
                e.offset().is_some_and(|o| o <= cut as u64),
                "cut {cut}: {e}"
            );
            errors += 1;
        }
    }
    assert!(errors > 1000, "{errors}");
}
