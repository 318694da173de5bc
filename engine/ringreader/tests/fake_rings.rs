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

/// A producer that publishes on ring 0 and ring 1 alternately, through a shared mapping of the
/// fake devices, as one thread migrating between two CPUs would: each record is published
/// before the next is written. The reader must hand every record out in publication order,
/// even when it finds ring 0 empty just before the producer publishes there and then ring 1.
#[test]
fn a_record_published_on_another_cpu_after_an_earlier_one_never_overtakes_it() {
    use std::sync::atomic::{AtomicU64, Ordering};
    const N: u64 = 600_000;
    let d = tmpdir("migrate");
    fake_ring(&d, 0, 0, &[]);
    fake_ring(&d, 1, 0, &[]);
    let mut rs = RingSet::open(&d).unwrap();
    let maps: Vec<memmap2::MmapMut> = (0..2)
        .map(|cpu| {
            let f = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(d.join(format!("falco{cpu}")))
                .unwrap();
            // SAFETY: a private test file, written only by this test's producer and reader.
            unsafe { memmap2::MmapMut::map_mut(&f) }.unwrap()
        })
        .collect();
    let producer = std::thread::spawn(move || {
        let mut maps = maps;
        let mut pos = [0u64; 2];
        // Each step writes a record on ring 0 and one on ring 1, then publishes them back to
        // back: ring 0's first, as a thread that ran on CPU 0 and then on CPU 1 would.
        for step in 0..N / 2 {
            let mut heads = [0u64; 2];
            for cpu in 0..2 {
                let ts = step * 2 + cpu as u64 + 1;
                let mut rec = [0u8; 64];
                let len = encode_record(&mut rec, ts, 7, 1, &[&7u16.to_le_bytes()]).unwrap();
                let need = aligned_len(len) as u64;
                let m = &mut maps[cpu];
                // SAFETY: tail is an 8-byte aligned u64 field of the page-aligned mapping.
                let tail = unsafe { &*(m.as_ptr().add(24) as *const AtomicU64) };
                while pos[cpu] + need - tail.load(Ordering::Acquire) > SIZE as u64 {
                    std::hint::spin_loop();
                }
                for (i, b) in rec[..len].iter().enumerate() {
                    let at = (pos[cpu] as usize + i) % SIZE;
                    m[CONTROL_PAGE_SIZE + at] = *b;
                    m[CONTROL_PAGE_SIZE + SIZE + at] = *b;
                }
                pos[cpu] += need;
                heads[cpu] = pos[cpu];
            }
            for (cpu, m) in maps.iter().enumerate() {
                // SAFETY: head is an 8-byte aligned u64 field of the page-aligned mapping.
                let head = unsafe { &*(m.as_ptr().add(16) as *const AtomicU64) };
                head.store(heads[cpu], Ordering::Release);
            }
        }
    });
    let (mut last, mut seen, mut overtaken) = (0u64, 0u64, 0u64);
    while seen < N {
        match rs.next_record() {
            Some(r) => {
                let ts = r.unwrap().ts();
                if ts < last {
                    overtaken += 1;
                }
                last = last.max(ts);
                seen += 1;
            }
            None => std::hint::spin_loop(),
        }
    }
    producer.join().unwrap();
    assert_eq!(overtaken, 0, "records handed out before an earlier one");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_cpu_of_the_last_record_is_its_ring_s() {
    let d = tmpdir("cpu");
    fake_ring(&d, 0, 0, &[(10, 1)]);
    fake_ring(&d, 1, 0, &[(5, 2)]);
    let mut rs = RingSet::open(&d).unwrap();
    assert_eq!(rs.last_cpu(), None);
    let mut got = Vec::new();
    while let Some(r) = rs.next_record() {
        let tid = r.unwrap().tid();
        got.push((tid, rs.last_cpu()));
    }
    assert_eq!(got, [(2, Some(1)), (1, Some(0))]);
    fs::remove_dir_all(&d).unwrap();
}

/// The `tail` the module sees: the control page of the ring file.
fn published_tail(dir: &Path, cpu: u32) -> u64 {
    let f = fs::read(dir.join(format!("falco{cpu}"))).unwrap();
    u64::from_le_bytes(f[24..32].try_into().unwrap())
}

#[test]
fn read_bytes_are_given_back_when_the_rings_are_empty_or_before_sleeping() {
    let d = tmpdir("publish");
    fake_ring(&d, 0, 0, &[(10, 1), (30, 1)]);
    fake_ring(&d, 1, 0, &[(20, 2)]);
    let head0 = {
        let f = fs::read(d.join("falco0")).unwrap();
        u64::from_le_bytes(f[16..24].try_into().unwrap())
    };
    let mut rs = RingSet::open(&d).unwrap();
    assert_eq!(rs.next_record().unwrap().unwrap().ts(), 10);
    assert_eq!(rs.next_record().unwrap().unwrap().ts(), 20);
    // Mid-drain, a few records are not worth a store to the page the producer reads.
    assert_eq!((published_tail(&d, 0), published_tail(&d, 1)), (0, 0));
    assert_eq!(rs.next_record().unwrap().unwrap().ts(), 30);
    assert!(rs.next_record().is_none());
    assert_eq!(published_tail(&d, 0), head0, "ring 0 given back once empty");
    assert!(published_tail(&d, 1) > 0, "ring 1 given back once empty");
    fs::remove_dir_all(&d).unwrap();

    // Before poll(): the module measures what is unread from the published tail.
    let d = tmpdir("publish-wait");
    fake_ring(&d, 0, 0, &[(10, 1), (30, 1)]);
    let mut rs = RingSet::open(&d).unwrap();
    assert_eq!(rs.next_record().unwrap().unwrap().ts(), 10);
    assert_eq!(published_tail(&d, 0), 0);
    let _ = rs.wait(0);
    assert!(
        published_tail(&d, 0) > 0,
        "the record handed out is given back before sleeping"
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_record_with_an_impossible_length_is_reported_before_older_records_of_other_rings() {
    let d = tmpdir("corrupt-two");
    fake_ring(&d, 0, 0, &[(5, 1), (6, 1)]);
    fake_ring(&d, 1, 0, &[(9, 2), (10, 2)]);
    let p = d.join("falco1");
    let mut f = fs::read(&p).unwrap();
    f[CONTROL_PAGE_SIZE + 16..CONTROL_PAGE_SIZE + 20].copy_from_slice(&3u32.to_le_bytes());
    fs::write(&p, f).unwrap();
    let mut rs = RingSet::open(&d).unwrap();
    assert!(
        rs.next_record().unwrap().is_err(),
        "the broken header is picked at once"
    );
    let mut got = Vec::new();
    while let Some(r) = rs.next_record() {
        got.push(r.unwrap().ts());
    }
    assert_eq!(
        got,
        [5, 6],
        "ring 1 was skipped to its head, ring 0 read whole"
    );
    assert_eq!(rs.corrupt(), 1);
    fs::remove_dir_all(&d).unwrap();
}
