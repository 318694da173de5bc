//! Guest tools for the live engine's timing figures (subcommands of `kmod-guest-test`):
//!
//! * `stamp` — copies stdin to stdout, each line prefixed with the wall time (ns since the
//!   epoch) at which it was read: the falco engine's output goes through it, so a JSON alert
//!   carries both its syscall's time (`"evt.time":`) and its arrival time.
//! * `latency FILE PATTERN [MAX_MS]` — syscall-to-alert latency of the stamped alert lines of
//!   FILE containing PATTERN: prints count, p50, p99 and max; fails when there is none or one
//!   took longer than MAX_MS.
//! * `load EVENTS_PER_S SECS [SHADOW_EVERY]` — open+close of /etc/passwd on CPU 0 paced to
//!   produce EVENTS_PER_S events (4 per pair: open enter/exit, close enter/exit; 0 = as fast as
//!   possible), every SHADOW_EVERY-th pair opening /etc/shadow instead (an alert of the default
//!   rules); prints the rate achieved.

use std::ffi::CString;
use std::io::{BufRead, Write};
use std::process::exit;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// `stamp`: stdin to stdout, each line prefixed with its arrival time in ns.
pub fn stamp() -> ! {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut line = Vec::new();
    let mut input = stdin.lock();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let t = now_ns();
                let _ = write!(out, "{t} ");
                let _ = out.write_all(&line);
                if !line.ends_with(b"\n") {
                    let _ = out.write_all(b"\n");
                }
                let _ = out.flush();
            }
        }
    }
    exit(0)
}

/// The syscall-to-alert latency of one stamped JSON alert line, in ns.
fn line_latency(line: &str) -> Option<u64> {
    let (arrival, rest) = line.split_once(' ')?;
    let arrival: u64 = arrival.parse().ok()?;
    let at = rest.find("\"evt.time\":")? + "\"evt.time\":".len();
    let digits: String = rest[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let ts: u64 = digits.parse().ok()?;
    Some(arrival.saturating_sub(ts))
}

/// The `q` quantile (0..=1) of sorted values.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `latency FILE PATTERN [MAX_MS]`.
pub fn latency(args: &[String]) -> ! {
    let (Some(file), Some(pattern)) = (args.first(), args.get(1)) else {
        eprintln!("usage: kmod-guest-test latency FILE PATTERN [MAX_MS]");
        exit(2)
    };
    let max_ms: Option<f64> = args.get(2).and_then(|s| s.parse().ok());
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{file}: {e}");
            exit(1)
        }
    };
    let mut lat: Vec<u64> = text
        .lines()
        .filter(|l| l.contains(pattern.as_str()))
        .filter_map(line_latency)
        .collect();
    lat.sort_unstable();
    let ms = |ns: u64| ns as f64 / 1e6;
    let (p50, p99, max) = (
        quantile(&lat, 0.5),
        quantile(&lat, 0.99),
        lat.last().copied().unwrap_or(0),
    );
    println!(
        "LATENCY [{pattern}] n={} p50_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        lat.len(),
        ms(p50),
        ms(p99),
        ms(max)
    );
    if lat.is_empty() {
        println!("CHECK FAIL no stamped alert line matches");
        exit(1)
    }
    if let Some(limit) = max_ms {
        if ms(max) > limit {
            println!("CHECK FAIL slowest alert {:.3} ms > {limit} ms", ms(max));
            exit(1)
        }
        println!("CHECK ok every alert within {limit} ms of its syscall");
    }
    exit(0)
}

/// `load EVENTS_PER_S SECS [SHADOW_EVERY]`.
pub fn load(args: &[String]) -> ! {
    let rate: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let shadow_every: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    super::pin_to(0);
    let passwd = CString::new("/etc/passwd").unwrap_or_default();
    let shadow = CString::new("/etc/shadow").unwrap_or_default();
    let pairs_per_s = rate / 4.0;
    let start = Instant::now();
    let end = Duration::from_secs_f64(secs);
    let mut pairs = 0u64;
    let mut shadows = 0u64;
    loop {
        let elapsed = start.elapsed();
        if elapsed >= end {
            break;
        }
        // Pace in steps of 100 pairs: ahead of schedule, sleep until the schedule catches up.
        if pairs_per_s > 0.0 {
            let due = Duration::from_secs_f64(pairs as f64 / pairs_per_s);
            if due > elapsed {
                std::thread::sleep(due - elapsed);
            }
        }
        for _ in 0..100 {
            pairs += 1;
            let path = if shadow_every > 0 && pairs.is_multiple_of(shadow_every) {
                shadows += 1;
                &shadow
            } else {
                &passwd
            };
            // SAFETY: `path` is a valid NUL-terminated string; the fd is closed right after.
            unsafe {
                let fd = libc::open(path.as_ptr(), libc::O_RDONLY);
                if fd >= 0 {
                    libc::close(fd);
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "LOAD target_events_per_s={rate:.0} events_per_s={:.0} pairs={pairs} shadow_opens={shadows} secs={secs:.2}",
        pairs as f64 * 4.0 / secs
    );
    exit(0)
}
