//! The driver's cost per captured syscall (scripts/ebpf-bench runs it; root).
//!
//! Pinned to CPU 0, a tight `getpid` loop and an `openat`+`close` loop, each timed in four
//! states: before the programs are loaded (baseline), loaded with capture disabled (idle),
//! capturing with an empty event mask (masked: the dispatch alone), and capturing this process
//! with every event enabled and a reader draining the rings on CPU 1 (capture). Then, capturing,
//! an unpaced getpid load for 2 s: the events/s the reader received and the drops.
//! Prints `BENCH ...` lines; each figure is the best of several rounds in the loop thread's CPU
//! time, so that a shared, loaded machine's preemption is not counted as syscall cost.
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// This thread's CPU time in ns: on a shared machine, time spent preempted is not counted.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn ns_per(n: u32, f: &dyn Fn()) -> f64 {
    let t = thread_cpu_ns();
    for _ in 0..n {
        f();
    }
    (thread_cpu_ns() - t) as f64 / n as f64
}

/// The least disturbed round.
fn best(v: Vec<f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

/// (getpid ns/call, openat+close ns/pair): the best of 9 rounds, in thread CPU time.
fn loops() -> (f64, f64) {
    let path = CString::new("/etc/passwd").expect("path");
    let getpid = || {
        // SAFETY: getpid has no preconditions.
        unsafe { libc::syscall(libc::SYS_getpid) };
    };
    let openclose = || {
        // SAFETY: valid NUL-terminated path; the fd is closed.
        unsafe {
            let fd = libc::openat(libc::AT_FDCWD, path.as_ptr(), libc::O_RDONLY);
            libc::close(fd);
        }
    };
    let g = best((0..9).map(|_| ns_per(100_000, &getpid)).collect());
    let o = best((0..9).map(|_| ns_per(25_000, &openclose)).collect());
    (g, o)
}

fn main() {
    let preset: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    pin_to(0);
    let (bg, bo) = loops();
    println!("BENCH baseline getpid_ns={bg:.1} openclose_ns={bo:.1}");
    // FALCO_EBPF_ATTACH=btf|classic picks how the syscall programs attach (default: by kernel).
    let opts = falco_ebpf::Options {
        only_tree_of: Some(std::process::id()),
        buf_size_preset: preset,
        ..Default::default()
    }
    .with_env();
    let rs = match falco_ebpf::open(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    };
    let (ig, io) = loops();
    println!("BENCH idle getpid_ns={ig:.1} openclose_ns={io:.1}");
    // Capturing with an empty event mask: the dispatch (task checks, tail calls, the mask
    // check) without building or sending a record.
    rs.set_event_mask(&ringbuf_abi::ioctl::EventMask::default())
        .expect("mask");
    rs.enable().expect("enable");
    let (mg, mo) = loops();
    println!("BENCH masked getpid_ns={mg:.1} openclose_ns={mo:.1}");
    rs.set_event_mask(&ringbuf_abi::ioctl::EventMask::all())
        .expect("mask");
    let stop = Arc::new(AtomicBool::new(false));
    let counted = Arc::new(AtomicU64::new(0));
    let reader = {
        let (stop, counted) = (stop.clone(), counted.clone());
        std::thread::spawn(move || {
            let mut r = rs;
            pin_to(1);
            while !stop.load(Ordering::Relaxed) {
                let mut n = 0;
                while let Some(Ok(_)) = r.next_record() {
                    n += 1;
                }
                counted.fetch_add(n, Ordering::Relaxed);
                if n == 0 {
                    let _ = r.wait(10);
                }
            }
            r
        })
    };
    let (cg, co) = loops();
    println!("BENCH capture getpid_ns={cg:.1} openclose_ns={co:.1}");
    println!(
        "BENCH added getpid_ns={:.1} per_openclose_pair_ns={:.1} per_open_close_event_ns={:.1}",
        cg - bg,
        co - bo,
        (co - bo) / 3.0
    );
    // Unpaced: what one CPU produces while the reader keeps up (or not: drops).
    let before = counted.load(Ordering::Relaxed);
    let t = Instant::now();
    let mut calls = 0u64;
    while t.elapsed() < Duration::from_secs(2) {
        for _ in 0..1000 {
            // SAFETY: getpid has no preconditions.
            unsafe { libc::syscall(libc::SYS_getpid) };
        }
        calls += 1000;
    }
    let secs = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let r = reader.join().expect("reader");
    let read = counted.load(Ordering::Relaxed) - before;
    let st = r.stats();
    println!(
        "BENCH unpaced events_per_s={:.0} calls_per_s={:.0} drops={} ring_mib={}",
        read as f64 / secs,
        calls as f64 / secs,
        st.drops.iter().sum::<u64>(),
        opts.buffer_bytes() >> 20
    );
}
