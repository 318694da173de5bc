//! `preemption [CALLS [exact]]`: no event lost or doubled when the scheduler preempts a probe.
//!
//! On kernels whose tracepoints run their probes with preemption enabled (faultable syscall
//! tracepoints, Linux 6.14+; every tracepoint in 7.x) the kernel skips a BPF program while the
//! same program is preempted on that CPU, and two probes can interleave on one CPU. Here
//! THREADS threads share CPU 0, each making CALLS getppid calls, so that the scheduler often
//! preempts one inside a probe and runs another. Every call must arrive exactly once: through
//! the module, whose probes are never skipped, and through the eBPF driver, whose fallback
//! programs take over what a first program was skipped for. What no program ran for must be
//! counted as dropped; with `exact` nothing may be (the module, and the eBPF driver on perf
//! tracepoints, whose programs run with preemption disabled). The eBPF driver's count of
//! skipped and recovered calls is printed.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use ringbuf_abi::ids::PPME_GENERIC_X;
use ringbuf_abi::ioctl::EventMask;

use super::{drain, ebpf, open_rings, Checks};

const THREADS: usize = 4;

/// Pins the calling thread to CPU 0.
fn pin_to_cpu0() -> bool {
    // SAFETY: cpu_set_t is plain old data; CPU_ZERO/CPU_SET write within it; the call reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) == 0
    }
}

fn gettid() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as u64 }
}

pub fn preemption(calls: u64, exact: bool) -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    // Only generic exits: the ring holds every getppid of the run, nothing is lost to a full
    // ring, and the count per thread is exact.
    let mut mask = EventMask::default();
    mask.set(PPME_GENERIC_X);
    if let Err(e) = rs.set_event_mask(&mask) {
        c.check("event mask", false, e);
        c.finish("preemption");
    }
    if let Err(e) = rs.enable() {
        c.check("enable", false, e);
        c.finish("preemption");
    }
    let go = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let go = go.clone();
            std::thread::spawn(move || {
                let pinned = pin_to_cpu0();
                let tid = gettid();
                go.wait();
                for _ in 0..calls {
                    // SAFETY: getppid has no preconditions.
                    unsafe { libc::getppid() };
                }
                (tid, pinned)
            })
        })
        .collect();
    let mut tids = Vec::new();
    for w in workers {
        match w.join() {
            Ok((tid, pinned)) => {
                c.check("thread pinned to CPU 0", pinned, tid);
                tids.push(tid);
            }
            Err(_) => c.check("worker thread", false, "panicked"),
        }
    }
    let _ = rs.disable();
    let (evs, bad) = drain(&mut rs, Duration::from_millis(300));
    c.check("every record decodes", bad == 0, format!("{bad} bad"));
    let st = rs.stats();
    let lost: u64 = st.drops.iter().sum();
    let getppid = libc::SYS_getppid as u16;
    for tid in &tids {
        let n = evs
            .iter()
            .filter(|e| {
                e.ty == PPME_GENERIC_X
                    && e.tid == *tid
                    && e.params.get(1).and_then(|p| p.get(..2)) == Some(&getppid.to_le_bytes())
            })
            .count() as u64;
        c.check(
            "no getppid event doubled",
            n <= calls,
            format!("thread {tid}: {n} events for {calls} calls"),
        );
        if exact {
            c.check(
                "every getppid arrived",
                n == calls,
                format!("thread {tid}: {n} of {calls} arrived, {lost} counted as dropped"),
            );
        } else {
            c.check(
                "every getppid arrived or was counted as dropped",
                n + lost >= calls,
                format!("thread {tid}: {n} of {calls} arrived, {lost} counted as dropped"),
            );
        }
    }
    if ebpf() {
        match rs.preemption() {
            Some(p) => {
                println!(
                    "preemption: first programs skipped {} calls, fallbacks took over {}, \
                     drops {:?}",
                    p.skipped, p.recovered, st.drops
                );
                c.check(
                    "fallbacks took over no more calls than were skipped",
                    p.recovered <= p.skipped + 1,
                    format!("{p:?}"),
                );
            }
            None => c.check("the eBPF driver counts skipped calls", false, "none"),
        }
    }
    c.finish("preemption")
}
