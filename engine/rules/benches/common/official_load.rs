//! The load + compile benchmark harness shared by falco-rules' `load` bench (permissive catalog)
//! and falco-sinsp's `rules_load` bench (the real catalog, which falco-rules cannot depend on):
//! reads the three official rules files, times `load_once` over them and prints wall and thread
//! CPU time.

use std::time::{Duration, Instant};

use falco_rules::load::RulesFile;

/// CPU time of this thread: unlike wall time, not inflated by waiting for a core on a
/// loaded machine.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into memory we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Times `load_once` (which loads the files and returns the number of rules) over 20 runs on
/// the official stable, incubating and sandbox files, and prints the figures under `label`.
pub fn bench_official_load(label: &str, mut load_once: impl FnMut(&[RulesFile]) -> usize) {
    let dir = falco_testdata::rules_dir();
    let files: Vec<RulesFile> = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .filter_map(|f| {
        let p = dir.join(f);
        std::fs::read_to_string(&p).ok().map(|content| RulesFile {
            name: p.display().to_string(),
            content,
        })
    })
    .collect();
    if files.len() != 3 {
        eprintln!("official rules files not found under {}", dir.display());
        return;
    }
    let iters = 20;
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut rules = 0;
    for _ in 0..iters {
        let t = Instant::now();
        let c = thread_cpu();
        rules = load_once(&files);
        times.push(t.elapsed());
        cpu.push(thread_cpu() - c);
    }
    times.sort();
    cpu.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "load+compile 3 official files, {label} ({rules} rules): wall min {:.2} ms, median {:.2} ms, max {:.2} ms; thread CPU min {:.2} ms, median {:.2} ms, max {:.2} ms over {iters} runs",
        ms(times[0]),
        ms(times[iters / 2]),
        ms(times[iters - 1]),
        ms(cpu[0]),
        ms(cpu[iters / 2]),
        ms(cpu[iters - 1])
    );
}
