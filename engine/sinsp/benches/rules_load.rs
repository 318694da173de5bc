//! Load + compile time of the three official rules files together with the real field
//! catalog (what `falco -r` does before the first event), harness = false.
//! Run: `cargo bench -p falco-sinsp --bench rules_load`. falco-rules' `load` bench times the
//! same with a permissive catalog.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use falco_rules::load::{load, LoadOptions, RulesFile};
use falco_sinsp::fields::SyscallCatalog;

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

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/rules");
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
    let opts = LoadOptions::default();
    let iters = 20;
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut rules = 0;
    for _ in 0..iters {
        // The catalog is built per load, as a fresh `falco` process does.
        let t = Instant::now();
        let c = thread_cpu();
        let catalog = SyscallCatalog::new();
        let (rs, res) = load(&files, &catalog, &opts);
        times.push(t.elapsed());
        cpu.push(thread_cpu() - c);
        rules = rs.rules().len();
        assert!(res.successful(), "{}", res.to_text());
    }
    times.sort();
    cpu.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "load+compile 3 official files, real catalog ({rules} rules): wall min {:.2} ms, median {:.2} ms, max {:.2} ms; thread CPU min {:.2} ms, median {:.2} ms, max {:.2} ms over {iters} runs",
        ms(times[0]),
        ms(times[iters / 2]),
        ms(times[iters - 1]),
        ms(cpu[0]),
        ms(cpu[iters / 2]),
        ms(cpu[iters - 1])
    );
}
