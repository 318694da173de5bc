//! Shared by the k8s_audit tests: the traces as kube-apiserver's webhook posts them, a plain
//! HTTP/1.1 client, and falco started with the built-in k8s_audit source.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The configuration upstream's k8s-audit tests use: the k8saudit and json plugins.
pub fn config(open_params: &str, extra: &str) -> String {
    format!(
        "plugins:\n  - name: k8saudit\n    library_path: libk8saudit.so\n    init_config: \"\"\n    open_params: \"{open_params}\"\n  - name: json\n    library_path: libjson.so\n    init_config: \"\"\nload_plugins: [k8saudit, json]\nstdout_output:\n  enabled: true\njson_output: true\n{extra}"
    )
}

/// The reference folder of the k8s audit cases.
pub fn reference() -> PathBuf {
    falco_testdata::reference_path("k8s_audit")
}

/// The audit events of a trace file (one payload per line), as JSON values.
pub fn trace_events(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("trace");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("trace line is JSON");
        match v["kind"].as_str() {
            Some("EventList") => out.extend(v["items"].as_array().cloned().unwrap_or_default()),
            _ => out.push(v),
        }
    }
    out
}

/// An `EventList` body as kube-apiserver's batching webhook backend posts it.
pub fn event_list(events: &[serde_json::Value]) -> String {
    serde_json::json!({
        "kind": "EventList",
        "apiVersion": "audit.k8s.io/v1",
        "metadata": {},
        "items": events,
    })
    .to_string()
}

/// One HTTP/1.1 request on a new connection; the status and body of the answer.
pub fn request(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the webhook");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    s.write_all(head.as_bytes()).expect("send headers");
    // A server that refused the request (413) may close before the body is all sent: its
    // answer is still there to read.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// POSTs `body` to `path` with `content_type`.
pub fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: falco\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    request(addr, &head, body)
}

/// A running falco: its lines (stdout and stderr) through a channel.
pub struct Falco {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Falco {
    /// Starts `cmd` with piped output.
    pub fn spawn(mut cmd: Command) -> Falco {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("falco starts");
        let (tx, lines) = mpsc::channel();
        let readers: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("stdout")),
            Box::new(child.stderr.take().expect("stderr")),
        ];
        for r in readers {
            let tx = tx.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for l in std::io::BufReader::new(r).lines().map_while(Result::ok) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
        }
        Falco {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits up to `limit` for a line containing `needle`.
    pub fn wait_for(&mut self, needle: &str, limit: Duration) -> Option<String> {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return Some(l.clone());
        }
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(50)) {
                let hit = l.contains(needle);
                self.seen.push(l.clone());
                if hit {
                    return Some(l);
                }
            }
        }
        None
    }

    /// The webhook's address, from the start-up line.
    pub fn webhook_addr(&mut self) -> SocketAddr {
        let line = self
            .wait_for(
                "served by the built-in k8s_audit source, reading http",
                Duration::from_secs(60),
            )
            .unwrap_or_else(|| panic!("no webhook start-up line: {:#?}", self.seen));
        let url = line
            .split("reading http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .expect("address in the line");
        url.parse().expect("socket address")
    }

    /// Keeps reading lines until `pred` holds for what was seen, or `limit` passes.
    pub fn until(&mut self, limit: Duration, pred: impl Fn(&[String]) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while !pred(&self.seen) {
            if Instant::now() > deadline {
                return false;
            }
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(50)) {
                self.seen.push(l);
            }
        }
        true
    }

    /// Sends `sig`.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill on our own child's pid.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    /// SIGTERM, the exit status and every line.
    pub fn stop(mut self) -> (std::process::ExitStatus, Vec<String>) {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                break st;
            }
            assert!(
                Instant::now() < deadline,
                "falco did not stop: {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(300)) {
            self.seen.push(l);
        }
        (status, std::mem::take(&mut self.seen))
    }
}

impl Drop for Falco {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The alerts among `lines`: (rule, output), in order.
pub fn alerts(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                v["rule"].as_str()?.to_string(),
                v["output"].as_str()?.to_string(),
            ))
        })
        .collect()
}
