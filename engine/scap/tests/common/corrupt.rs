//! Corrupt captures built from a real one, each with the byte offset its error must name.
//! Shared by the reader tests and the falco-inspect tests (included by path).

use std::io::Write;
use std::path::{Path, PathBuf};

/// One corrupt input.
pub struct CorruptCase {
    /// Test name.
    pub name: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Offset (in the decompressed stream) the error must name; `None` when only "some
    /// offset" can be promised (corrupt compressed data).
    pub offset: Option<u64>,
    /// Name of the `ScapError` variant expected, or `*` for any (the reader tests check it;
    /// falco-inspect only shows the message).
    #[allow(dead_code)]
    pub variant: &'static str,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// (offset, type, length) of every block of a plain capture.
fn blocks(b: &[u8]) -> Vec<(usize, u32, usize)> {
    let mut v = Vec::new();
    let mut off = 0;
    while off + 8 <= b.len() {
        let len = u32_at(b, off + 4) as usize;
        v.push((off, u32_at(b, off), len));
        off += len;
    }
    v
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut enc = falco_scap::flate2::write::GzEncoder::new(
        Vec::new(),
        falco_scap::flate2::Compression::default(),
    );
    let _ = enc.write_all(b);
    enc.finish().unwrap_or_default()
}

/// The real capture the cases are built from: libs' sample.scap (plain, small).
pub fn sample() -> PathBuf {
    falco_testdata::capture("sample")
}

/// The case called `name`, built from [`sample`].
pub fn case(name: &str) -> CorruptCase {
    cases(&sample())
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// Every corrupt case, built from the plain capture at `sample`.
pub fn cases(sample: &Path) -> Vec<CorruptCase> {
    let orig = std::fs::read(sample).unwrap_or_else(|e| panic!("{}: {e}", sample.display()));
    let bl = blocks(&orig);
    // The 10th event block (V2 records) of the file.
    let &(ev_off, _, ev_len) = bl
        .iter()
        .filter(|(_, t, _)| *t == 0x216)
        .nth(9)
        .unwrap_or_else(|| panic!("no event blocks"));
    let mut v = Vec::new();

    // Cut in the middle of that event block.
    let cut = ev_off + ev_len / 2;
    v.push(CorruptCase {
        name: "truncated_file",
        bytes: orig[..cut].to_vec(),
        offset: Some(ev_off as u64),
        variant: "Truncated",
    });

    // Block length far beyond the file.
    let mut b = orig.clone();
    b[ev_off + 4..ev_off + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    v.push(CorruptCase {
        name: "bad_block_length_huge",
        bytes: b,
        offset: Some(ev_off as u64),
        variant: "BadBlockLength",
    });

    // Block length that disagrees with the trailer.
    let mut b = orig.clone();
    b[ev_off + 4..ev_off + 8].copy_from_slice(&((ev_len + 4) as u32).to_le_bytes());
    v.push(CorruptCase {
        name: "bad_block_length_trailer",
        bytes: b,
        offset: Some(ev_off as u64),
        variant: "BadBlockLength",
    });

    // Block length below the header size.
    let mut b = orig.clone();
    b[ev_off + 4..ev_off + 8].copy_from_slice(&4u32.to_le_bytes());
    v.push(CorruptCase {
        name: "bad_block_length_tiny",
        bytes: b,
        offset: Some(ev_off as u64),
        variant: "BadBlockLength",
    });

    // Byte-order magic of the section header.
    let mut b = orig.clone();
    b[8..12].copy_from_slice(&0x4d3c_2b1au32.to_le_bytes());
    v.push(CorruptCase {
        name: "bad_magic",
        bytes: b,
        offset: Some(8),
        variant: "BadMagic",
    });

    // Not a capture at all.
    v.push(CorruptCase {
        name: "bad_magic_not_scap",
        bytes: b"hello, this is not a capture file\n".to_vec(),
        offset: Some(0),
        variant: "BadMagic",
    });

    // A gzip capture whose checksum does not match its data.
    let mut gz = gzip(&orig);
    let crc = gz.len() - 8;
    gz[crc] ^= 0xff;
    v.push(CorruptCase {
        name: "bad_gzip_checksum",
        bytes: gz,
        offset: Some(orig.len() as u64),
        variant: "Gzip",
    });

    // Scrambled deflate data: the decoder may produce garbage before it notices, so any
    // error (with an offset) is acceptable.
    let mut gz = gzip(&orig);
    let mid = gz.len() / 2;
    for x in &mut gz[mid..mid + 64] {
        *x ^= 0x5a;
    }
    v.push(CorruptCase {
        name: "bad_gzip_scrambled_data",
        bytes: gz,
        offset: None,
        variant: "*",
    });

    // A gzip header followed by garbage.
    let mut gz = gzip(&orig);
    for x in &mut gz[10..40] {
        *x = 0xff;
    }
    v.push(CorruptCase {
        name: "bad_gzip_header_then_garbage",
        bytes: gz,
        offset: Some(0),
        variant: "Gzip",
    });

    // First parameter length of the event far past the event's length.
    let mut b = orig.clone();
    let rec = ev_off + 8 + 2;
    b[rec + 26..rec + 28].copy_from_slice(&0xfff0u16.to_le_bytes());
    v.push(CorruptCase {
        name: "param_lengths_overrun_event",
        bytes: b,
        offset: Some(rec as u64),
        variant: "BadEvent",
    });

    // nparams so large the length array cannot fit.
    let mut b = orig.clone();
    b[rec + 22..rec + 26].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    v.push(CorruptCase {
        name: "nparams_overrun_event",
        bytes: b,
        offset: Some(rec as u64),
        variant: "BadEvent",
    });

    // Event length larger than its block.
    let mut b = orig;
    b[rec + 16..rec + 20].copy_from_slice(&((ev_len + 100) as u32).to_le_bytes());
    v.push(CorruptCase {
        name: "event_length_overruns_block",
        bytes: b,
        offset: Some(rec as u64),
        variant: "BadEvent",
    });
    v
}

/// One `#[test]` per case of [`cases`], each calling `$check("<case name>")`, and one that
/// the list matches [`cases`] (built from [`sample`]): the reader tests and the falco-inspect
/// tests run the same list. Needs `#[macro_use]` on the `mod corrupt` that includes this file.
macro_rules! corrupt_case_tests {
    ($check:ident) => {
        corrupt_case_tests!(@each $check;
            truncated_file bad_block_length_huge bad_block_length_trailer bad_block_length_tiny
            bad_magic bad_magic_not_scap bad_gzip_checksum bad_gzip_scrambled_data
            bad_gzip_header_then_garbage param_lengths_overrun_event nparams_overrun_event
            event_length_overruns_block);
    };
    (@each $check:ident; $($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                $check(stringify!($name));
            }
        )*
        #[test]
        fn every_case_has_a_test() {
            let names: Vec<&str> = corrupt::cases(&corrupt::sample()).iter().map(|c| c.name).collect();
            assert_eq!(names, [$(stringify!($name)),*], "a case of `cases` without its test");
        }
    };
}
