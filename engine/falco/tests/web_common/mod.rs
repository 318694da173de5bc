//! Shared by the webserver tests and the scrape benchmark: a `falco` process on private ports
//! replaying a capture fed through a FIFO at a chosen pace (so the run lasts long enough to be
//! scraped, and ends when the test says), and a plain HTTP/1.1 client.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The repository root.
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// A private directory under the target's tmp dir rather than /tmp: the FIFOs the tests feed
/// must not be opened (and drained) by anything else on a shared machine that walks /tmp.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("web-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir")
}

/// A free TCP port on 127.0.0.1 (bound, then released for the child to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A reference capture, decompressed.
pub fn capture_bytes(name: &str) -> Vec<u8> {
    let path = falco_testdata::capture(name);
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    falco_scap::flate2::read::GzDecoder::new(f)
        .read_to_end(&mut out)
        .expect("gunzip capture");
    out
}

/// A FIFO the replay reads, and the thread writing into it.
pub struct Feed {
    /// Dropping it (or sending) lets the writer close the FIFO: the replay then ends.
    pub close: Option<mpsc::Sender<()>>,
    /// Signalled once every byte is written.
    pub written: mpsc::Receiver<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feed {
    /// Creates `path` as a FIFO and writes `chunks` into it one after the other, `pause`
    /// apart, then holds it open until [`Feed::finish`].
    pub fn start(path: &Path, chunks: Vec<Vec<u8>>, pause: Duration) -> Feed {
        Feed::gated(path, chunks, pause, None)
    }

    /// As [`Feed::start`], but the FIFO is opened for writing only once `go` is signalled (the
    /// replay's start waits for it meanwhile, the webserver already serving).
    pub fn gated(
        path: &Path,
        chunks: Vec<Vec<u8>>,
        pause: Duration,
        go: Option<mpsc::Receiver<()>>,
    ) -> Feed {
        let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
        assert!(st.success(), "mkfifo {}", path.display());
        let (close_tx, close_rx) = mpsc::channel::<()>();
        let (written_tx, written_rx) = mpsc::channel::<()>();
        let path = path.to_path_buf();
        let thread = std::thread::spawn(move || {
            if let Some(go) = go {
                if go.recv().is_err() {
                    return;
                }
            }
            // Opening blocks until the replay opens the other end.
            let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) else {
                return;
            };
            for c in chunks {
                if f.write_all(&c).is_err() {
                    return;
                }
                std::thread::sleep(pause);
            }
            let _ = written_tx.send(());
            let _ = close_rx.recv();
        });
        Feed {
            close: Some(close_tx),
            written: written_rx,
            thread: Some(thread),
        }
    }

    /// Closes the FIFO (end of the capture) and waits for the writer.
    pub fn finish(&mut self) {
        self.close.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.close.take();
    }
}

/// `data` cut into `n` chunks.
pub fn chunks(data: &[u8], n: usize) -> Vec<Vec<u8>> {
    let size = data.len().div_ceil(n.max(1)).max(1);
    data.chunks(size).map(<[u8]>::to_vec).collect()
}

/// A running `falco`, killed when dropped.
pub struct Falco {
    /// The process.
    pub child: Child,
    /// Its stderr, as a file.
    pub stderr: PathBuf,
    /// Its stdout, as a file.
    pub stdout: PathBuf,
}

impl Falco {
    /// Starts `falco -c config` with `args`, stdout and stderr to files in `dir`.
    pub fn start(dir: &Path, config: &str, args: &[&str]) -> Falco {
        let cfg = dir.join("falco.yaml");
        std::fs::write(&cfg, config).expect("write config");
        let stdout = dir.join("falco.out");
        let stderr = dir.join("falco.err");
        let child = Command::new(env!("CARGO_BIN_EXE_falco"))
            .arg("-c")
            .arg(&cfg)
            .args(args)
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .stdin(Stdio::null())
            .spawn()
            .expect("start falco");
        Falco {
            child,
            stderr,
            stdout,
        }
    }

    /// What it wrote on stderr so far.
    pub fn err(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// What it wrote on stdout so far.
    pub fn out(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Waits up to `limit` for the exit; its code, or `None` if still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// SIGTERM.
    pub fn terminate(&self) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
    }
}

impl Drop for Falco {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The falco.yaml of a replay of `fifo` with the webserver on `port`; `extra` is appended.
pub fn replay_config(fifo: &Path, alerts: &Path, port: u16, extra: &str) -> String {
    format!(
        "rules_files: [{REPO}/rules/falco_rules.yaml]\n\
         json_output: true\n\
         stdout_output: {{enabled: false}}\n\
         file_output: {{enabled: true, filename: {}}}\n\
         engine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
         webserver:\n  enabled: true\n  listen_address: 127.0.0.1\n  listen_port: {port}\n  \
         threadiness: 2\n  prometheus_metrics_enabled: true\n\
         {extra}",
        alerts.display(),
        fifo.display()
    )
}

/// One HTTP/1.1 GET with `Connection: close`: status and body.
pub fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    parse_response(&buf)
}

/// Status code and body of a whole response.
pub fn parse_response(buf: &[u8]) -> std::io::Result<(u16, String)> {
    let text = String::from_utf8_lossy(buf);
    let bad = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bad response: {text:?}"),
        )
    };
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(bad)?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .ok_or_else(bad)?;
    Ok((status, body))
}

/// Polls `f` every 50 ms until it returns `Some`, for at most `limit`.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of an unlabelled sample `name` in an exposition text.
pub fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Alerts by rule in a JSON-lines alerts file (internal alerts left out).
pub fn alerts_by_rule(path: &Path) -> std::collections::BTreeMap<String, u64> {
    let mut m = std::collections::BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["source"] == "internal" {
            continue;
        }
        if let Some(r) = v["rule"].as_str() {
            *m.entry(r.to_string()).or_default() += 1;
        }
    }
    m
}
