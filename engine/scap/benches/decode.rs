//! Decode throughput on the largest shared capture: header + parameter walk, no field
//! extraction. Prints events/s and MB/s (of decompressed capture bytes) for:
//!
//! 1. `CaptureReader` over the capture already decompressed in memory (gzip not measured);
//! 2. the same with the converter on;
//! 3. `CaptureReader::open` on the `.scap.gz` file, end to end with gzip.
//!
//! Run: `cargo bench -p falco-scap --bench decode` (one core; the figures are the best of 5
//! runs). Set `SCAP_BENCH_FILE` to measure another capture.

use std::hint::black_box;
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use falco_scap::CaptureReader;

const RUNS: usize = 5;

fn default_file() -> String {
    falco_testdata::capture("busy_server").display().to_string()
}

/// Walks every event's header and parameters; returns (events, parameter bytes).
fn drain(mut r: CaptureReader) -> (u64, u64) {
    let (mut events, mut bytes) = (0u64, 0u64);
    loop {
        match r.next_event() {
            Ok(Some(ev)) => {
                events += 1;
                for p in ev.record.params() {
                    bytes += p.len() as u64;
                }
            }
            Ok(None) => break,
            Err(e) => panic!("decode error: {e}"),
        }
    }
    (events, bytes)
}

fn best_of(mut f: impl FnMut() -> u64) -> (u64, Duration) {
    let mut best = Duration::MAX;
    let mut events = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        events = black_box(f());
        best = best.min(t.elapsed());
    }
    (events, best)
}

fn report(label: &str, events: u64, bytes: usize, d: Duration) {
    let s = d.as_secs_f64();
    println!(
        "{label:<44} {events:>9} events in {:>8.2} ms: {:>7.2} M events/s, {:>8.1} MB/s",
        s * 1e3,
        events as f64 / s / 1e6,
        bytes as f64 / s / 1e6
    );
}

fn main() {
    let file = std::env::var("SCAP_BENCH_FILE").unwrap_or_else(|_| default_file());
    let compressed = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut raw = Vec::new();
    falco_scap::flate2::read::MultiGzDecoder::new(&compressed[..])
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let raw: &'static [u8] = Box::leak(raw.into_boxed_slice());
    println!(
        "{file}: {} bytes compressed, {} bytes decompressed",
        compressed.len(),
        raw.len()
    );

    let (n, d) = best_of(|| {
        let r = CaptureReader::from_reader(Cursor::new(raw)).unwrap_or_else(|e| panic!("{e}"));
        drain(r).0
    });
    report("in memory (header + parameter walk)", n, raw.len(), d);

    let (n, d) = best_of(|| {
        let mut r = CaptureReader::from_reader(Cursor::new(raw)).unwrap_or_else(|e| panic!("{e}"));
        r.set_convert(true);
        drain(r).0
    });
    report("in memory, converter on", n, raw.len(), d);

    let (n, d) = best_of(|| {
        let r = CaptureReader::open(&file).unwrap_or_else(|e| panic!("{e}"));
        drain(r).0
    });
    report("end to end from .scap.gz (gzip included)", n, raw.len(), d);
}
