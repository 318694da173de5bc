//! The live engine on the modern eBPF driver, for the tests that run it on this host's kernel:
//! root is required (BPF), and only one process tree is captured (`FALCO_EBPF_ONLY_TREE_OF`):
//! the machine is shared.
//!
//! The captured tree is a [`Workload`] shell the test starts before the engine, not the test
//! process itself: the engine is the test's child too, and capturing its own reads and writes
//! would feed back into what it captures.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
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
    /// Starts the engine capturing `tree`'s processes and waits until it captures.
    pub fn start(tree: u32, args: &[&str]) -> LiveFalco {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
        cmd.arg("-c")
            .arg(format!("{REPO}/falco.yaml"))
            .args(["-o", "engine.kind=modern_ebpf", "-o", "json_output=true"])
            .args(args)
            .env("FALCO_EBPF_ONLY_TREE_OF", tree.to_string())
            .current_dir(REPO)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("falco starts");
        let rx = lines_of(&mut child);
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
                panic!(
                    "falco did not stop within 30 s of SIGTERM: {:#?}",
                    self.drain()
                );
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

/// The lines of a child's stdout and stderr (one stream), through a channel so the test can
/// wait with a deadline.
pub fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let readers: [Box<dyn std::io::Read + Send>; 2] = [
        Box::new(child.stdout.take().expect("piped stdout")),
        Box::new(child.stderr.take().expect("piped stderr")),
    ];
    for r in readers {
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
    rx
}

/// A shell reading commands from the test, started before the engine: its pid is the root of
/// the captured tree, and every command it runs is a child in that tree.
pub struct Workload {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    done: u32,
}

impl Workload {
    /// `/bin/sh` reading stdin, in `dir`.
    pub fn start(dir: &Path) -> Workload {
        Workload::start_under(dir, &[])
    }

    /// The same shell run by `wrapper` (a program and its arguments that exec the rest).
    pub fn start_under(dir: &Path, wrapper: &[&std::ffi::OsStr]) -> Workload {
        let mut argv: Vec<&std::ffi::OsStr> = wrapper.to_vec();
        argv.push("/bin/sh".as_ref());
        let mut child = Command::new(argv[0])
            .args(&argv[1..])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh starts");
        let stdin = child.stdin.take();
        let lines = lines_of(&mut child);
        Workload {
            child,
            stdin,
            lines,
            done: 0,
        }
    }

    /// The shell's pid: the tree the engine captures.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs `cmd` in the shell and waits (at most 60 s) for it; returns its exit status and the
    /// lines it printed.
    pub fn run(&mut self, cmd: &str) -> (i32, Vec<String>) {
        self.done += 1;
        let marker = format!("__falco_workload_done_{}", self.done);
        let stdin = self.stdin.as_mut().expect("shell stdin open");
        writeln!(stdin, "{cmd}\necho {marker} $?").expect("write to the shell");
        stdin.flush().expect("flush the shell's stdin");
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut out = Vec::new();
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(rc) = line.strip_prefix(&format!("{marker} ")) {
                        return (rc.trim().parse().unwrap_or(-1), out);
                    }
                    out.push(line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("`{cmd}` did not finish within 60 s: {out:#?}");
    }

    /// Ends the shell (its stdin closed) and waits for it.
    pub fn finish(mut self) -> ExitStatus {
        drop(self.stdin.take());
        self.child.wait().expect("wait for sh")
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

/// Builds example `name` of `falco-ringreader` (the scenario helper, the guest test program)
/// with this test's profile and target directory; returns its path.
pub fn ringreader_example(name: &str) -> std::path::PathBuf {
    // This test runs from <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("test binary under <target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("<target>");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", "falco-ringreader", "--example", name])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(REPO);
    if profile_dir.file_name().and_then(|n| n.to_str()) == Some("release") {
        cmd.arg("--release");
    }
    let st = cmd.status().expect("run cargo build");
    assert!(st.success(), "building example {name} failed: {st}");
    let bin = profile_dir.join("examples").join(name);
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}
