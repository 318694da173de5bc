//! The module's guest checks, live through the eBPF driver on this host's kernel.
//!
//! `kmod-guest-test` (tests/kmod/guest_test.rs, the program scripts/vm-test runs in qemu against
//! the kernel module) performs a known list of syscalls and asserts every event with its
//! parameters. With `--ebpf` it reads this driver's rings instead of `/dev/falcoN`, capturing
//! only its own process tree; these tests build it and run its `events` and `params` steps as
//! root, so the eBPF programs must pass exactly the assertions the module passes.
//!
//! Needs root (BPF); run as root here and in CI. Fails, never skips, when it cannot run.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Builds the guest program (an example of `falco-ringreader`) with the profile and target
/// directory of this test, once per test binary, and returns its path.
fn guest_program() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("test binary under <target>/<profile>/deps");
        let target_dir = profile_dir.parent().expect("<target>");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("profile directory name");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "-q",
            "-p",
            "falco-ringreader",
            "--example",
            "kmod-guest-test",
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile == "release" {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo build");
        assert!(st.success(), "building kmod-guest-test failed: {st}");
        let bin = profile_dir.join("examples/kmod-guest-test");
        assert!(bin.is_file(), "{} was not built", bin.display());
        bin
    })
}

/// Runs `kmod-guest-test --ebpf STEP` from `/` (the guest's working directory, which the exec
/// checks expect as `cwd`) and asserts it passed every check, printing its report.
fn run_step(step: &str) {
    run_step_with(&[step], None);
}

/// As [`run_step`], with the step's arguments and the syscall programs attached as `attach`
/// says (`FALCO_EBPF_ATTACH`; `None`: the driver's default).
fn run_step_with(args: &[&str], attach: Option<&str>) {
    // One step at a time: `params` listens on a fixed port, and `preemption` pins its threads
    // to CPU 0.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    common::require_root();
    let step = args[0];
    let mut cmd = Command::new(guest_program());
    cmd.env_remove("FALCO_EBPF_ATTACH");
    if let Some(a) = attach {
        if a == "classic" {
            common::ensure_tracefs();
        }
        cmd.env("FALCO_EBPF_ATTACH", a);
    }
    let out = cmd
        .arg("--ebpf")
        .args(args)
        .current_dir("/")
        .output()
        .expect("run kmod-guest-test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The `events` step ends with a base64 capture meant for the qemu host: not needed here.
    let report: Vec<&str> = stdout
        .lines()
        .take_while(|l| *l != "=== SCAP-BEGIN")
        .chain(stdout.lines().skip_while(|l| *l != "=== SCAP-END").skip(1))
        .filter(|l| !l.starts_with("  ev "))
        .collect();
    println!("{}", report.join("\n"));
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let failed: Vec<&&str> = report
        .iter()
        .filter(|l| l.starts_with("CHECK FAIL"))
        .collect();
    let summary = report
        .iter()
        .rev()
        .find(|l| l.starts_with(&format!("{step}: ")))
        .copied()
        .unwrap_or("(no summary line)");
    let passed: u32 = summary
        .strip_prefix(&format!("{step}: "))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        out.status.success() && failed.is_empty() && passed > 0,
        "`kmod-guest-test --ebpf {step}` through the eBPF driver: {summary} (exit {}); failed:\n{}",
        out.status,
        failed
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// openat, sockets, pipe, chmod/unlink, fork+setuid+unshare+execve, ptrace and execveat: every
/// event and parameter the module's guest `events` step asserts, and no drop.
#[test]
fn events_step_passes_through_ebpf() {
    run_step("events");
}

/// The computed parameters: exec flags (writable, memfd), pidns_init_start_ts, reaper_tid,
/// accept queue, socket and creat flags.
#[test]
fn params_step_passes_through_ebpf() {
    run_step("params");
}

/// Threads sharing CPU 0 make a known number of getppid calls each: every call arrives exactly
/// once, or is counted as dropped, when programs are preempted (the kernel skips a program
/// preempted on that CPU; its fallback takes over).
#[test]
fn preemption_step_passes_through_ebpf() {
    run_step_with(&["preemption", "20000", "exact"], Some("classic"));
    run_step_with(&["preemption", "20000"], Some("btf"));
}

/// Both ways of attaching the syscall programs produce the module's events: the default one
/// (perf tracepoints here) runs in the tests above, BTF tracepoints here.
#[test]
fn events_and_params_steps_pass_on_btf_tracepoints() {
    run_step_with(&["events"], Some("btf"));
    run_step_with(&["params"], Some("btf"));
}
