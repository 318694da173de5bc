//! Synthetic events for the state and field tests: a record of any event type built from its
//! parameters by name, encoded as the kernel module writes them.
#![allow(dead_code)]

use ringbuf_abi::{encode_record, event_info};

/// A parameter value by name; unnamed parameters are encoded empty (absent).
pub enum P<'a> {
    I64(i64),
    U64(u64),
    U32(u32),
    U16(u16),
    Str(&'a str),
    Bytes(&'a [u8]),
}

/// The bytes of one parameter: little-endian integers, NUL-terminated strings, raw buffers.
fn encode(v: &P<'_>) -> Vec<u8> {
    match v {
        P::I64(x) => x.to_le_bytes().to_vec(),
        P::U64(x) => x.to_le_bytes().to_vec(),
        P::U32(x) => x.to_le_bytes().to_vec(),
        P::U16(x) => x.to_le_bytes().to_vec(),
        P::Str(s) => {
            let mut b = s.as_bytes().to_vec();
            b.push(0);
            b
        }
        P::Bytes(b) => b.to_vec(),
    }
}

/// A record of `evtype` from thread `tid`, with `params` by name put in schema order;
/// naming a parameter the event does not have fails the test.
pub fn event(evtype: u16, ts: u64, tid: i64, params: &[(&str, P<'_>)]) -> Vec<u8> {
    let info = event_info(evtype).expect("known event id");
    for (n, _) in params {
        assert!(
            info.params.iter().any(|p| p.name == *n),
            "{} has no parameter {n}",
            info.name
        );
    }
    let values: Vec<Vec<u8>> = info
        .params
        .iter()
        .map(|pi| {
            params
                .iter()
                .find(|(n, _)| *n == pi.name)
                .map(|(_, v)| encode(v))
                .unwrap_or_default()
        })
        .collect();
    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
    let mut buf = vec![0u8; 4096];
    let len = encode_record(&mut buf, ts, tid as u64, evtype, &refs).expect("fits");
    buf.truncate(len);
    buf
}
