//! Fuzzes the capture reader (plain and gzip detection, every block parser, V1 upgrade) and
//! the converter: any input must give events or a typed error, never a panic or a hang.
#![no_main]

use std::io::Cursor;

use falco_scap::CaptureReader;
use libfuzzer_sys::fuzz_target;

fn drain(data: &[u8], convert: bool) {
    let Ok(mut r) = CaptureReader::from_reader(Cursor::new(data.to_vec())) else {
        return;
    };
    r.set_convert(convert);
    let mut n = 0usize;
    while let Ok(Some(ev)) = r.next_event() {
        // Touch every parameter, as a consumer would.
        n += ev.record.params().iter().map(<[u8]>::len).sum::<usize>();
    }
    std::hint::black_box(n);
}

fuzz_target!(|data: &[u8]| {
    drain(data, false);
    drain(data, true);
});
