// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Round-trip and bounds tests of the record encoder and decoder.

use proptest::prelude::*;
use ringbuf_abi::record::{RecordBuilder, HEADER_LEN};
use ringbuf_abi::{encode_record, ids, DecodeError, Record, EVENT_TABLE};

/// Encodes `params` for `evtype`, decodes the result and checks every field comes back.
fn roundtrip(ts: u64, tid: u64, evtype: u16, params: &[Vec<u8>]) {
    let refs: Vec<&[u8]> = params.iter().map(Vec::as_slice).collect();
    let mut buf = vec![0u8; 1 << 17];
    let len = encode_record(&mut buf, ts, tid, evtype, &refs).expect("fits");
    let rec = Record::parse(&buf[..len]).expect("valid");
    assert_eq!(rec.ts(), ts);
    assert_eq!(rec.tid(), tid);
    assert_eq!(rec.evtype(), evtype);
    assert_eq!(rec.len() as usize, len);
    assert_eq!(rec.nparams() as usize, params.len());
    let back: Vec<&[u8]> = rec.params().iter().collect();
    assert_eq!(back, refs);
    for (i, p) in refs.iter().enumerate() {
        assert_eq!(rec.param(i), Some(*p));
    }
    assert_eq!(rec.param(params.len()), None);
}

proptest! {
    #[test]
    fn records_round_trip(
        ts in any::<u64>(),
        tid in any::<u64>(),
        evtype in 0u16..(EVENT_TABLE.len() as u16),
        params in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12),
    ) {
        roundtrip(ts, tid, evtype, &params);
    }

    /// The decoder never panics and never accepts a record whose parts overrun it.
    #[test]
    fn decoder_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(rec) = Record::parse(&bytes) {
            prop_assert!(rec.len() as usize <= bytes.len());
            let total: usize = rec.params().iter().map(<[u8]>::len).sum();
            prop_assert!(total <= rec.len() as usize - HEADER_LEN);
        }
    }

    /// Too-small buffers are reported, never overrun.
    #[test]
    fn encoder_reports_no_room(size in 0usize..64, plen in 0usize..64) {
        let mut buf = vec![0u8; size];
        let p = vec![7u8; plen];
        let res = encode_record(&mut buf, 1, 2, ids::PPME_SYSCALL_OPEN_X, &[&p, &p]);
        let needed = HEADER_LEN + 4 + 2 * plen;
        match res {
            Ok(len) => { prop_assert!(needed <= size); prop_assert_eq!(len, needed); }
            Err(e) => { prop_assert!(needed > size); prop_assert_eq!(e.available, size); }
        }
    }
}

#[test]
fn large_payload_events_use_u32_lengths() {
    let big = vec![0xAB; 70_000];
    let mut buf = vec![0u8; 80_000];
    let len = encode_record(
        &mut buf,
        5,
        6,
        ids::PPME_PLUGINEVENT_E,
        &[&1u32.to_le_bytes(), &big],
    )
    .expect("fits");
    assert_eq!(len, HEADER_LEN + 2 * 4 + 4 + big.len());
    let rec = Record::parse(&buf[..len]).expect("valid");
    assert_eq!(rec.param(1).map(<[u8]>::len), Some(70_000));
}

#[test]
fn u16_length_overflow_is_refused() {
    let big = vec![0u8; 70_000];
    let mut buf = vec![0u8; 80_000];
    assert!(encode_record(&mut buf, 0, 0, ids::PPME_SYSCALL_OPEN_X, &[&big]).is_err());
}

#[test]
fn builder_fills_missing_params_as_empty() {
    let mut buf = [0u8; 128];
    let mut b = RecordBuilder::new(&mut buf, 1, 2, ids::PPME_SYSCALL_CLOSE_X, 2).expect("room");
    b.push(&0i64.to_le_bytes()).expect("room");
    let len = b.finish().expect("room");
    let rec = Record::parse(&buf[..len]).expect("valid");
    assert_eq!(rec.param(1), Some(&[][..]));
}

/// One table of malformed records, each with the error it must produce.
#[test]
fn malformed_records_are_rejected() {
    let mut good = vec![0u8; 64];
    let len = encode_record(
        &mut good,
        1,
        2,
        ids::PPME_SYSCALL_CLOSE_X,
        &[&[1u8; 8], &[2u8; 8]],
    )
    .expect("fits");
    good.truncate(len);
    let set_u32 =
        |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let cases: Vec<(&str, Vec<u8>, DecodeError)> = vec![
        (
            "short header",
            good[..10].to_vec(),
            DecodeError::TruncatedHeader { available: 10 },
        ),
        (
            "len below header",
            {
                let mut b = good.clone();
                set_u32(&mut b, 16, 20);
                b
            },
            DecodeError::BadLength {
                len: 20,
                available: len,
            },
        ),
        (
            "len past buffer",
            {
                let mut b = good.clone();
                set_u32(&mut b, 16, 999);
                b
            },
            DecodeError::BadLength {
                len: 999,
                available: len,
            },
        ),
        (
            "lengths overrun",
            {
                let mut b = good.clone();
                set_u32(&mut b, 22, 1000);
                b
            },
            DecodeError::LengthsOverrun {
                nparams: 1000,
                len: len as u32,
            },
        ),
        (
            "param overruns",
            {
                let mut b = good.clone();
                b[HEADER_LEN + 2] = 50;
                b
            },
            DecodeError::ParamsOverrun {
                param: 1,
                end: (HEADER_LEN + 4 + 8 + 50) as u64,
                len: len as u32,
            },
        ),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(Record::parse(&bytes).err(), Some(want), "{name}");
    }
}

#[test]
fn table_is_dense_and_directions_alternate() {
    for (i, e) in EVENT_TABLE.iter().enumerate() {
        assert_eq!(e.id as usize, i);
        let want = if i % 2 == 0 {
            ringbuf_abi::Direction::Enter
        } else {
            ringbuf_abi::Direction::Exit
        };
        assert_eq!(e.direction, want, "{}", e.code);
    }
    assert_eq!(
        EVENT_TABLE[ids::PPME_SYSCALL_OPEN_X as usize].params.len(),
        6
    );
}
