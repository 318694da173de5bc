//! Timestamps printed as Falco prints them (UTC).

use std::io::Write;

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn split(ts: u64) -> (i64, u64, u64) {
    let secs = (ts / 1_000_000_000) as i64;
    (
        secs.div_euclid(86_400),
        secs.rem_euclid(86_400) as u64,
        ts % 1_000_000_000,
    )
}

/// `HH:MM:SS.nnnnnnnnn` (or without the fraction).
pub fn write_time(out: &mut Vec<u8>, ts: u64, ns: bool) {
    let (_, sod, frac) = split(ts);
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if ns {
        let _ = write!(out, ".{frac:09}");
    }
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (or without the fraction).
pub fn write_datetime(out: &mut Vec<u8>, ts: u64, ns: bool) {
    let (days, _, _) = split(ts);
    let (y, m, d) = civil(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02} ");
    write_time(out, ts, ns);
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, the JSON `time` of Falco's alerts.
pub fn write_iso8601(out: &mut Vec<u8>, ts: u64) {
    let (days, _, _) = split(ts);
    let (y, m, d) = civil(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}T");
    write_time(out, ts, true);
    out.push(b'Z');
}

/// A duration like libsinsp's `evt.latency.human` (`10.3ms`).
pub fn human_duration(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.2}s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.2}ms", ns as f64 / 1e6)
    } else if ns >= 1_000 {
        format!("{:.2}us", ns as f64 / 1e3)
    } else {
        format!("{ns}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_reference_times() {
        let ts = 1_795_468_410_465_551_410;
        let mut v = Vec::new();
        write_iso8601(&mut v, ts);
        assert_eq!(
            String::from_utf8_lossy(&v),
            "2026-11-23T21:13:30.465551410Z"
        );
        v.clear();
        write_time(&mut v, ts, true);
        assert_eq!(String::from_utf8_lossy(&v), "21:13:30.465551410");
        v.clear();
        write_datetime(&mut v, ts, false);
        assert_eq!(String::from_utf8_lossy(&v), "2026-11-23 21:13:30");
    }
}
