//! Loads the driver, captures this process for a moment and prints what it read.
use std::time::{Duration, Instant};

fn main() {
    let opts = falco_ebpf::Options {
        only_tree_of: Some(std::process::id()),
        ..Default::default()
    };
    let mut rs = match falco_ebpf::open(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    };
    rs.enable().unwrap();
    let _ = std::fs::read("/etc/hostname");
    let _ = std::fs::metadata("/etc/passwd");
    let end = Instant::now() + Duration::from_millis(300);
    let mut n = 0;
    while Instant::now() < end {
        while let Some(r) = rs.next_record() {
            match r {
                Ok(rec) => {
                    n += 1;
                    let info = ringbuf_abi::event_info(rec.evtype());
                    if n < 40 {
                        println!(
                            "{} tid={} {:?} params={}",
                            rec.ts(),
                            rec.tid(),
                            info.map(|i| i.name),
                            rec.nparams()
                        );
                    }
                }
                Err(e) => println!("bad: {e}"),
            }
        }
        let _ = rs.wait(20);
    }
    println!("records={n} stats={:?}", rs.stats());
}
