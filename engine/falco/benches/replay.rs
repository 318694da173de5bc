//! Replay throughput on one core: the busy_server capture decompressed into memory first, then
//! reader + converter + state + candidate-rule evaluation on this thread, with the official
//! 3.0.1 stable rules and with stable + incubating + sandbox. Beside it, in the same run,
//! `sysdig -r F 'COND' > /dev/null` for the expanded condition of "Read sensitive file
//! untrusted", and the peak RSS of the `falco` binary replaying the same capture.
//!
//! `cargo bench -p falco --bench replay` (figures in BENCHMARKS.md).

use falco_rules::load::{load_paths, LoadOptions};
use falco_rules::ruleset::RuleSet;
use falco_scap::flate2::read::GzDecoder;
use falco_scap::{CaptureReader, DF_STATE_ONLY};
use falco_sinsp::fields::{EventContext, Scratch, SyscallCatalog};
use falco_sinsp::state::{State, StateLimits};
use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use falco_testdata::{capture, reference_path};

/// Runs per ruleset and input (median reported); `REPLAY_BENCH_RUNS` overrides.
const RUNS: usize = 5;

/// "Read sensitive file untrusted" with its macros and lists expanded by hand, in the syntax
/// sysdig 0.29 accepts (open_read, sensitive_files, and the main exception lists).
const SYSDIG_CORE: &str = "evt.type in (open, openat, openat2) and evt.is_open_read=true \
and fd.typechar=f and fd.num>=0 \
and (fd.name in (/etc/shadow, /etc/sudoers, /etc/pam.conf, /etc/security/pwquality.conf) \
or fd.directory in (/etc/sudoers.d, /etc/pam.d)) \
and not proc.name in (iptables, ps, lsb_release, check-new-relea, dumpe2fs, accounts-daemon, sshd, vsftpd, systemd, mysql_install_d, psql, screen, debconf-show, sa-update, pam-auth-update, pam-config, /usr/sbin/spamd, polkit-agent-he, lsattr, file, sosreport, scxcimservera, adclient, rtvscand, cockpit-session, userhelper, ossec-syscheckd) \
and not proc.pname in (sshd, systemd, login) and not proc.cmdline contains /usr/bin/mandb";

fn capture_path() -> PathBuf {
    capture("busy_server")
}

fn rules(files: &[&str]) -> RuleSet {
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|f| reference_path(format!("rules/3.0.1/{f}")))
        .collect();
    let (rs, res) = load_paths(&paths, &SyscallCatalog::new(), &LoadOptions::default());
    assert!(res.successful(), "{}", res.to_text());
    rs
}

/// CPU time of this thread, in seconds: the machine is shared, so wall time overstates the
/// cost of a run whenever other work takes the core.
fn thread_cpu_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// What one replay counted and took.
#[derive(Clone, Copy, Default)]
struct Run {
    /// Events delivered after the converter (old enter events folded into their exits):
    /// what the state parses and numbers (`evt.num`).
    events: u64,
    /// Events that reach the rules: Falco 0.44.1's (libs 0.25) stream, without the kept
    /// enter events and the capture's leading user and group events.
    to_rules: u64,
    /// Events stored in the file (what sysdig prints and Falco counts, less the few Falco
    /// derives from the state blocks).
    stored: u64,
    alerts: u64,
    wall: f64,
    cpu: f64,
}

/// One replay of the capture `bytes` (a plain capture in memory, or the `.gz` file's bytes,
/// then inflated on this thread as part of the run). The copy the reader owns is made before
/// the clock starts.
fn replay(bytes: &[u8], ruleset: &RuleSet) -> Run {
    let owned = bytes.to_vec();
    let started = Instant::now();
    let cpu0 = thread_cpu_secs();
    let mut reader = match CaptureReader::from_reader(Cursor::new(owned)) {
        Ok(r) => r,
        Err(e) => panic!("capture: {e}"),
    };
    reader.set_convert(true);
    let mut state = State::bootstrap(
        falco::capture::bootstrap::from_capture(reader.metadata()),
        StateLimits::default(),
    );
    let mut scratch = Scratch::default();
    let (mut events, mut to_rules, mut alerts) = (0u64, 0u64, 0u64);
    let mut opening = true;
    loop {
        let ev = match reader.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => panic!("capture: {e}"),
        };
        events += 1;
        let rec = ev.record;
        state.process(rec, ev.cpu);
        if opening {
            opening = falco_sinsp::state::is_initial_state(rec.evtype());
        }
        if opening
            || ev.flags & DF_STATE_ONLY != 0
            || !falco_sinsp::state::reaches_rules(rec.evtype())
        {
            continue;
        }
        to_rules += 1;
        let candidates = ruleset.candidates(rec.evtype());
        if candidates.is_empty() {
            continue;
        }
        let mut ctx = EventContext::new(&state, rec, ev.cpu, &mut scratch);
        for &ri in candidates {
            if let Some(rule) = ruleset.rule(ri) {
                if rule.filter.eval(&mut ctx) {
                    alerts += 1;
                    break;
                }
            }
        }
    }
    let cpu = thread_cpu_secs() - cpu0;
    Run {
        events,
        to_rules,
        stored: events + reader.stats().converter_dropped,
        alerts,
        wall: started.elapsed().as_secs_f64(),
        cpu,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Peak RSS (KiB) of `falco` replaying the capture with `files`.
fn falco_rss(files: &[&str]) -> Option<i64> {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/release/falco")
        .canonicalize()
        .ok()
        .or_else(|| {
            std::env::var("CARGO_TARGET_DIR")
                .ok()
                .map(|d| PathBuf::from(d).join("release/falco"))
        })?;
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M"]).arg(bin);
    cmd.arg("-c")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../falco.yaml"));
    for f in files {
        cmd.arg("-r")
            .arg(reference_path(format!("rules/3.0.1/{f}")));
    }
    cmd.args(["-o", "engine.kind=replay", "-o"])
        .arg(format!(
            "engine.replay.capture_file={}",
            capture_path().display()
        ))
        .stdout(Stdio::null());
    let out = cmd.output().ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn main() {
    let runs_n: usize = std::env::var("REPLAY_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(RUNS);
    let mut gz = Vec::new();
    if let Err(e) = std::fs::File::open(capture_path()).and_then(|mut f| f.read_to_end(&mut gz)) {
        panic!("{}: {e}", capture_path().display());
    }
    let mut bytes = Vec::new();
    if let Err(e) = GzDecoder::new(&gz[..]).read_to_end(&mut bytes) {
        panic!("gunzip: {e}");
    }
    println!(
        "busy_server.scap.gz: {} MB decompressed in memory; {runs_n} runs each, median of the CPU times",
        bytes.len() / 1_000_000
    );
    let sets: [(&str, Vec<&str>); 2] = [
        ("stable", vec!["falco_rules.yaml"]),
        (
            "stable+incubating+sandbox",
            vec![
                "falco_rules.yaml",
                "falco-incubating_rules.yaml",
                "falco-sandbox_rules.yaml",
            ],
        ),
    ];
    // REPLAY_BENCH_ONLY=<set> runs that set only, without sysdig and RSS, and
    // REPLAY_BENCH_INPUT=memory|gz that input only (for `perf record`).
    let only = std::env::var("REPLAY_BENCH_ONLY").ok();
    let only_input = std::env::var("REPLAY_BENCH_INPUT").ok();
    let mut stable_secs = 0.0;
    let mut stable_events = 0;
    for (name, files) in &sets {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        let rs = rules(files);
        for (input, key, data) in [
            ("in memory", "memory", &bytes[..]),
            (".gz, inflated", "gz", &gz[..]),
        ] {
            if only_input.as_deref().is_some_and(|o| o != key) {
                continue;
            }
            let mut runs: Vec<Run> = (0..runs_n).map(|_| replay(data, &rs)).collect();
            let last = runs[runs_n - 1];
            runs.sort_by(|a, b| a.cpu.total_cmp(&b.cpu));
            let c = runs[runs_n / 2].cpu;
            let best = runs[0].cpu;
            let s = median(runs.iter().map(|r| r.wall).collect());
            // sysdig reads the .gz file: compare with the run that inflates too.
            if *name == "stable" && key == "gz" {
                stable_secs = s;
                stable_events = last.stored;
            }
            println!(
                "replay {name:<26} {input:<14} {} events ({} to the rules, {} stored), {} alerts: CPU {:.3} s = {:.2} M events/s ({:.2} M stored/s, {:.0} ns/event; best run {:.3} s); wall {:.3} s",
                last.events,
                last.to_rules,
                last.stored,
                last.alerts,
                c,
                last.events as f64 / c / 1e6,
                last.stored as f64 / c / 1e6,
                c * 1e9 / last.events as f64,
                best,
                s,
            );
        }
    }
    if only.is_some() {
        return;
    }

    // sysdig on the same file with a representative expanded condition.
    let rs = rules(&["falco_rules.yaml"]);
    let cond = rs
        .get("Read sensitive file untrusted")
        .map(|r| r.condition.to_string())
        .unwrap_or_default();
    // sysdig 0.29's parser rejects some of what Falco 0.44 prints (see the message); then the
    // rule's core, written in the syntax both accept, is timed instead.
    let probe = Command::new("sysdig")
        .arg("-r")
        .arg(capture_path())
        .arg(format!("evt.num=0 and ({cond})"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let cond = match probe {
        Ok(o) if o.status.success() => cond,
        Ok(o) => {
            let msg = String::from_utf8_lossy(&o.stderr).trim().to_string();
            println!("sysdig 0.29 rejects the expanded condition ({msg}); timing the rule's core instead");
            SYSDIG_CORE.to_string()
        }
        Err(_) => cond,
    };
    println!("sysdig condition: {cond}");
    let mut secs = Vec::new();
    let mut ok = true;
    for _ in 0..RUNS {
        let t = Instant::now();
        match Command::new("sysdig")
            .arg("-r")
            .arg(capture_path())
            .arg(&cond)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
        {
            Ok(o) if o.status.success() => secs.push(t.elapsed().as_secs_f64()),
            Ok(o) => {
                println!(
                    "sysdig rejected the condition: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                ok = false;
                break;
            }
            Err(e) => {
                println!("sysdig not runnable: {e}");
                ok = false;
                break;
            }
        }
    }
    if ok {
        let s = median(secs);
        println!(
            "sysdig -r busy_server.scap.gz 'Read sensitive file untrusted' > /dev/null: {:.3} s wall (gunzip and start-up included), {:.2} M stored events/s",
            s,
            stable_events as f64 / s / 1e6
        );
        println!(
            "ratio, wall time sysdig / replay(stable, .gz inflated): {:.2}",
            s / stable_secs
        );
    }
    for (name, files) in &sets {
        match falco_rss(files) {
            Some(kb) => println!(
                "falco peak RSS, {name}: {} KiB ({:.1} MB)",
                kb,
                kb as f64 / 1024.0
            ),
            None => println!("falco peak RSS, {name}: not measured (build the falco binary first)"),
        }
    }
}
