//! Audit events (`audit.k8s.io/v1` `Event`) and the payloads that carry them: one `Event`, an
//! `EventList` (the webhook's batch body, or a line of a log file) or a JSON array of either,
//! as the k8saudit plugin accepts them.

use crate::json::Json;

/// The k8saudit plugin's default `maxEventSize`: a larger event is refused.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 262_144;

/// One audit event.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    /// The event object.
    pub json: Json,
    /// `stageTimestamp`, in nanoseconds since the epoch: the event's time.
    pub ts_ns: u64,
}

/// Why a payload, or one event in it, was refused. The texts are the plugin's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// Not JSON.
    Json(String),
    /// JSON, but neither an `Event`, an `EventList` nor an array of them.
    NotAuditEvent,
    /// An event without a `stageTimestamp`.
    NoTimestamp,
    /// A `stageTimestamp` that is not RFC 3339.
    BadTimestamp(String),
    /// An event larger than `maxEventSize`.
    TooLarge(usize),
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadError::Json(e) => write!(f, "invalid JSON: {e}"),
            PayloadError::NotAuditEvent => f.write_str("data not recognized as a k8s audit event"),
            PayloadError::NoTimestamp => f.write_str("can't read stageTimestamp"),
            PayloadError::BadTimestamp(t) => {
                write!(f, "cannot parse stageTimestamp {t:?} as RFC 3339")
            }
            PayloadError::TooLarge(n) => write!(f, "event larger than maxEventSize: size={n}"),
        }
    }
}

impl std::error::Error for PayloadError {}

/// What one payload held: its events, in order, and what was refused in it.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The accepted events.
    pub events: Vec<AuditEvent>,
    /// Refused events or the refused payload, in order.
    pub errors: Vec<PayloadError>,
}

/// Parses one payload (a log line or a webhook body). Events larger than `max_event_size`
/// (compact JSON bytes) are refused one by one; the others are kept.
pub fn parse_payload(bytes: &[u8], max_event_size: usize) -> Parsed {
    let mut out = Parsed::default();
    match Json::parse(bytes) {
        Err(e) => out.errors.push(PayloadError::Json(e)),
        Ok(v) => collect(v, max_event_size, &mut out),
    }
    out
}

fn collect(v: Json, max: usize, out: &mut Parsed) {
    if let Json::Array(items) = v {
        for item in items {
            collect(item, max, out);
        }
        return;
    }
    match v.get("kind").and_then(Json::as_str) {
        Some("EventList") => {
            if let Some(Json::Array(_)) = v.get("items") {
                if let Json::Object(members) = v {
                    for (k, items) in members {
                        if let (true, Json::Array(items)) = (k == "items", items) {
                            for item in items {
                                push_event(item, max, out);
                            }
                        }
                    }
                }
                return;
            }
            out.errors.push(PayloadError::NotAuditEvent);
        }
        Some("Event") => push_event(v, max, out),
        _ => out.errors.push(PayloadError::NotAuditEvent),
    }
}

fn push_event(v: Json, max: usize, out: &mut Parsed) {
    let Some(ts) = v.get("stageTimestamp") else {
        out.errors.push(PayloadError::NoTimestamp);
        return;
    };
    let text = ts.as_str().unwrap_or("");
    let Some(ts_ns) = parse_rfc3339_ns(text) else {
        out.errors
            .push(PayloadError::BadTimestamp(text.to_string()));
        return;
    };
    let mut size = String::new();
    v.marshal(&mut size);
    if size.len() > max {
        out.errors.push(PayloadError::TooLarge(size.len()));
        return;
    }
    out.events.push(AuditEvent { json: v, ts_ns });
}

/// Parses an RFC 3339 time (`2018-10-25T13:58:49.730588Z`, `...+02:00`) into nanoseconds since
/// the epoch; `None` for anything else or a time before 1970.
pub fn parse_rfc3339_ns(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (year, mon, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mon) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            let off = h * 3600 + m * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, mon, day);
    let secs = days * 86400 + hour * 3600 + min * 60 + sec - offset;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos as u64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            parse_rfc3339_ns("1970-01-01T00:00:01Z"),
            Some(1_000_000_000)
        );
        assert_eq!(
            parse_rfc3339_ns("2018-10-25T13:58:49.730588Z"),
            Some(1_540_475_929_730_588_000)
        );
        assert_eq!(
            parse_rfc3339_ns("2018-10-25T15:58:49.730588+02:00"),
            Some(1_540_475_929_730_588_000)
        );
        for bad in [
            "",
            "2018-10-25",
            "2018-13-25T00:00:00Z",
            "2018-10-25T00:00:00",
            "x018-10-25T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_ns(bad), None, "{bad}");
        }
    }

    #[test]
    fn payload_shapes() {
        let ev = r#"{"kind":"Event","auditID":"a","stageTimestamp":"2018-10-25T13:58:49Z"}"#;
        let list = format!(r#"{{"kind":"EventList","items":[{ev},{ev}]}}"#);
        assert_eq!(parse_payload(ev.as_bytes(), 1000).events.len(), 1);
        assert_eq!(parse_payload(list.as_bytes(), 1000).events.len(), 2);
        assert_eq!(
            parse_payload(format!("[{ev},{list}]").as_bytes(), 1000)
                .events
                .len(),
            3
        );
        let p = parse_payload(br#"{"kind": 0}"#, 1000);
        assert_eq!(p.errors, vec![PayloadError::NotAuditEvent]);
        assert_eq!(
            p.errors[0].to_string(),
            "data not recognized as a k8s audit event"
        );
        let p = parse_payload(br#"{"kind":"Event"}"#, 1000);
        assert_eq!(p.errors, vec![PayloadError::NoTimestamp]);
        let p = parse_payload(ev.as_bytes(), 10);
        assert!(matches!(p.errors[..], [PayloadError::TooLarge(_)]));
        assert!(matches!(
            parse_payload(b"{\"kind\":", 1000).errors[..],
            [PayloadError::Json(_)]
        ));
    }
}
