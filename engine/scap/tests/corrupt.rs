//! (d) Corrupt input gives a typed error naming the byte offset, never a panic.

mod common;
#[macro_use]
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
    let case = corrupt::case(name);
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

corrupt_case_tests!(check);
