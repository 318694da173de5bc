//! A signal that arrives while `falco` is still starting is not fatal (issue #21): SIGUSR1 and
//! SIGHUP default to terminating a process, so their handlers are installed before anything
//! slow. Here the start is held open by a `file_output` that is a FIFO (opening it for writing
//! blocks until a reader comes): both signals arrive then, and the run goes on and delivers.

mod replay_common;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The signals whose handler `pid` has installed (`SigCgt` of /proc/PID/status).
fn caught(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

#[test]
fn sigusr1_and_sighup_while_starting_do_not_kill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = replay_common::fifo(dir.path(), "alerts.fifo");
    let capture = falco_testdata::capture("sensitive_reads");
    let mut cmd = replay_common::replay(replay_common::REPO_CONFIG, &capture);
    cmd.args(["-o", "stdout_output.enabled=false"])
        .args(["-o", "syslog_output.enabled=false"])
        .args(["-o", "file_output.enabled=true"])
        .arg("-o")
        .arg(format!("file_output.filename={}", out.display()))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("falco starts");
    let pid = child.id();
    let want = (1u64 << (libc::SIGUSR1 - 1)) | (1u64 << (libc::SIGHUP - 1));
    let deadline = Instant::now() + Duration::from_secs(20);
    while caught(pid) & want != want {
        assert!(
            Instant::now() < deadline,
            "falco did not catch SIGUSR1 and SIGHUP while starting (SigCgt {:#x})",
            caught(pid)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Still blocked opening the FIFO: nothing has read it.
    // SAFETY: signals to our own child.
    unsafe {
        libc::kill(pid as i32, libc::SIGUSR1);
        libc::kill(pid as i32, libc::SIGHUP);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "falco died from a signal sent while it was starting"
    );
    // The reopen that SIGUSR1 asked for closes and reopens the FIFO: read every opening until
    // falco is gone.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (out, done) = (out.clone(), done.clone());
        std::thread::spawn(move || {
            let mut all = String::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let mut f = std::fs::File::open(&out).expect("open the FIFO");
                f.read_to_string(&mut all).expect("read alerts");
            }
            all
        })
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).expect("stderr");
    }
    let status = child.wait().expect("falco ends");
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    // Unblocks a reader waiting in open(): a read-write opening never waits for a peer.
    drop(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&out),
    );
    let alerts = reader.join().expect("reader");
    assert!(status.success(), "falco failed: {status:?}\n{err}");
    assert!(
        alerts.contains("/etc/shadow"),
        "the run after the signals delivered no alert; got {alerts:?}\n{err}"
    );
}
