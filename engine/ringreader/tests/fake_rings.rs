//! The reader against ring "devices" faked with plain files laid out like the module's mmap:
//! control page, then the data pages twice (a file cannot alias pages, so it stores the copy).

use std::fs;
use std::path::Path;

use falco_ringreader::RingSet;
use ringbuf_abi::encode_record;
use ringbuf_abi::ring::{aligned_len, ABI_VERSION, CONTROL_PAGE_SIZE};

const SIZE: usize = 64 * 1024;

/// Writes a ring file holding `records` (ts, tid) starting at byte position `start`.
fn fake_ring(dir: &Path, cpu: u32, start: u64, records: &[(u64, u64)]) {
    let mut data = vec![0u8; SIZE];
    let mut pos = start;
    for &(ts, tid) in records {
        let mut rec = [0u8; 256];
        let payload = [0xAAu8; 40];
        let len =
            encode_record(&mut rec, ts, tid, 1, &[&7u16.to_le_bytes(), &payload[..2]]).unwrap();
        for (i, b) in rec[..len].iter().enumerate() {
            data[(pos as usize + i) % SIZE] = *b;
        }
        pos += aligned_len(len) as u64;
    }
    let mut file = vec![0u8; CONTROL_PAGE_SIZE];
    file[0..4].copy_from_slice(&ABI_VERSION.to_le_bytes());
    file[4..8].copy_from_slice(&cpu.to_le_bytes());
    file[8..16].copy_from_slice(&(SIZE as u64).to_le_bytes());
    file[16..24].copy_from_slice(&pos.to_le_bytes()); // head
    file[24..32].copy_from_slice(&start.to_le_bytes()); // tail
    file[32..40].copy_from_slice(&(records.len() as u64).to_le_bytes());
    file.extend_from_slice(&data);
    file.extend_from_slice(&data);
    fs::write(dir.join(format!("falco{cpu}")), file).unwrap();
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("falco-ringreader-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn merges_rings_in_timestamp_order_and_frees_space() {
    let d = tmpdir("merge");
    fake_ring(&d, 0, 0, &[(10, 1), (30, 1), (50, 1)]);
    fake_ring(&d, 1, 0, &[(20, 2), (40, 2)]);
    let mut rs = RingSet::open(&d).unwrap();
    assert_eq!(rs.rings().len(), 2);
    let mut got = Vec::new();
    while let Some(r) = rs.next_record() {
        let r = r.unwrap();
        got.push((r.ts(), r.tid()));
    }
    assert_eq!(got, [(10, 1), (20, 2), (30, 1), (40, 2), (50, 1)]);
    assert_eq!(rs.stats().pending, 0, "every byte handed back");
    assert_eq!(rs.stats().events, 5);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_record_crossing_the_end_of_the_ring_reads_contiguously() {
    let d = tmpdir("wrap");
    // Start 24 bytes before the end: the first record runs past it into the second copy.
    let start = (SIZE - 24) as u64 + 10 * SIZE as u64;
    fake_ring(&d, 0, start, &[(1, 9), (2, 9)]);
    let mut rs = RingSet::open(&d).unwrap();
    let a = rs.next_record().unwrap().unwrap();
    assert_eq!(
        (a.ts(), a.tid(), a.param(0)),
        (1, 9, Some(&7u16.to_le_bytes()[..]))
    );
    let b = rs.next_record().unwrap().unwrap();
    assert_eq!(b.ts(), 2);
    assert!(rs.next_record().is_none());
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn no_devices_is_a_clear_error() {
    let d = tmpdir("empty");
    let e = RingSet::open(&d).err().unwrap();
    assert!(e.to_string().contains("no falco ring devices"), "{e}");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_corrupt_record_is_reported_and_skipped() {
    let d = tmpdir("corrupt");
    fake_ring(&d, 0, 0, &[(1, 1)]);
    // Break the record's length field.
    let p = d.join("falco0");
    let mut f = fs::read(&p).unwrap();
    f[CONTROL_PAGE_SIZE + 16..CONTROL_PAGE_SIZE + 20].copy_from_slice(&3u32.to_le_bytes());
    fs::write(&p, f).unwrap();
    let mut rs = RingSet::open(&d).unwrap();
    assert!(rs.next_record().unwrap().is_err());
    assert!(rs.next_record().is_none());
    assert_eq!(rs.corrupt(), 1);
    fs::remove_dir_all(&d).unwrap();
}
