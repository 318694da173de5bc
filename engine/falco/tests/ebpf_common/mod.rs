//! The live engine on the modern eBPF driver, for the tests that run it on this host's kernel:
//! root is required (BPF), and only the test's own process tree is captured
//! (`FALCO_EBPF_ONLY_TREE_OF`): the machine is shared.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The repository root: falco.yaml's rules paths are relative to it.
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Fails (never skips) when not root: loading BPF programs needs it.
pub fn require_root(what: &str) {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "{what} loads the eBPF driver: run the test as root (CI runs as root)"
    );
}

/// `falco -c falco.yaml -o engine.kind=modern_ebpf -o json_output=true ARGS` capturing this
/// test's process tree, its stdout and stderr as one stream of lines.
pub struct LiveFalco {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl LiveFalco {
    /// Starts the engine and waits until it captures.
    pub fn start(args: &[&str]) -> LiveFalco {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
        cmd.arg("-c")
            .arg(format!("{REPO}/falco.yaml"))
            .args(["-o", "engine.kind=modern_ebpf", "-o", "json_output=true"])
            .args(args)
            .env("FALCO_EBPF_ONLY_TREE_OF", std::process::id().to_string())
            .current_dir(REPO)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("falco starts");
        let (tx, rx) = mpsc::channel();
        for r in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(r).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut f = LiveFalco {
            child,
            lines: rx,
            seen: Vec::new(),
        };
        f.wait_for(
            |l| l.contains("capturing live events from the modern eBPF driver"),
            Duration::from_secs(60),
        )
        .unwrap_or_else(|| {
            let _ = f.child.kill();
            panic!("falco did not start capturing: {:#?}", f.drain())
        });
        f
    }

    /// Waits up to `limit` for a line matching `pred`; every line is kept in `seen`.
    pub fn wait_for(&mut self, pred: impl Fn(&str) -> bool, limit: Duration) -> Option<String> {
        if let Some(l) = self.seen.iter().find(|l| pred(l)) {
            return Some(l.clone());
        }
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let hit = pred(&line);
                self.seen.push(line.clone());
                if hit {
                    return Some(line);
                }
            }
        }
        None
    }

    /// The lines read so far plus those still buffered.
    pub fn drain(&mut self) -> Vec<String> {
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(l);
        }
        self.seen.clone()
    }

    /// SIGTERM, then waits (at most 30 s) for the exit; returns the status and every line.
    pub fn stop(mut self) -> (ExitStatus, Vec<String>) {
        // SAFETY: kill on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("wait falco") {
                break st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("falco did not stop within 30 s of SIGTERM: {:#?}", self.drain());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let lines = self.drain();
        (status, lines)
    }

    /// The alerts (JSON lines) seen so far.
    pub fn alerts(&self) -> Vec<serde_json::Value> {
        alerts_in(&self.seen)
    }
}

/// The JSON alert lines among `lines`.
pub fn alerts_in(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v.get("rule").is_some())
        .collect()
}

/// The file `path` resolves to (what the kernel reports as an exe path).
pub fn resolved(path: &str) -> String {
    std::fs::canonicalize(Path::new(path))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}
