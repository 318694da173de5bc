//! (c) Round trip through our writer: every reference capture, read and rewritten (plain and
//! gzip), reads back with identical metadata and identical records.

mod common;

use std::io::Cursor;

use falco_scap::{CaptureReader, CaptureWriter};

/// (cpu, flags, record bytes) of every event.
fn events(r: &mut CaptureReader) -> Vec<(u16, u32, Vec<u8>)> {
    let mut v = Vec::new();
    while let Some(ev) = r.next_event().unwrap_or_else(|e| panic!("{e}")) {
        v.push((ev.cpu, ev.flags, ev.record.as_bytes().to_vec()));
    }
    v
}

fn check(name: &str, path: &std::path::Path, gzip: bool) {
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let meta = r.metadata().clone();
    let original = events(&mut r);

    let mut w = CaptureWriter::new(Vec::new(), &meta).unwrap_or_else(|e| panic!("{e}"));
    for (cpu, flags, rec) in &original {
        let rec = ringbuf_abi::Record::parse(rec).unwrap_or_else(|e| panic!("{e}"));
        w.write_event(*cpu, *flags, &rec)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(w.events_written(), original.len() as u64);
    let mut bytes = w.finish().unwrap_or_else(|e| panic!("{e}"));
    if gzip {
        // The same bytes, compressed as a whole, as `CaptureWriter::create(.., true, ..)` does.
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&bytes).unwrap_or_else(|e| panic!("{e}"));
        bytes = enc.finish().unwrap_or_else(|e| panic!("{e}"));
    }

    let mut back =
        CaptureReader::from_reader(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(back.is_gzip(), gzip);
    let mut expected_meta = meta.clone();
    // The writer emits the current versions: a 1.2 header.
    expected_meta.major_version = 1;
    expected_meta.minor_version = 2;
    expected_meta.skipped_blocks = 0;
    assert_eq!(back.metadata(), &expected_meta, "{name}: metadata");
    let again = events(&mut back);
    assert_eq!(again.len(), original.len(), "{name}: event count");
    for (i, (a, b)) in original.iter().zip(&again).enumerate() {
        assert_eq!(a, b, "{name}: event {}", i + 1);
    }
}

#[test]
fn rewritten_captures_read_back_identically() {
    for (i, (name, path, _)) in common::small_captures().into_iter().enumerate() {
        check(name, &path, i % 2 == 0);
    }
}
