//! Fuzzes `ringbuf_abi::Record::parse` and every accessor of a record it accepts, plus the
//! converter on that record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringbuf_abi::Record;

fuzz_target!(|data: &[u8]| {
    let Ok(rec) = Record::parse(data) else {
        return;
    };
    assert!(rec.len() as usize <= data.len());
    let params = rec.params();
    let mut total = 0usize;
    for (i, v) in params.iter().enumerate() {
        assert_eq!(params.get(i), Some(v));
        total += v.len();
    }
    assert!(total <= rec.len() as usize);
    assert_eq!(params.get(params.len()), None);
    let _ = (rec.ts(), rec.tid(), rec.evtype(), rec.nparams());
    let mut conv = falco_scap::Converter::new();
    if let Some(out) = conv.convert(rec) {
        assert!(Record::parse(out.as_bytes()).is_ok());
    }
});
