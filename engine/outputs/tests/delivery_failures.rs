//! Delivery failures are reported (issue #21, item 9): a file output that cannot be written is
//! a start-up error naming the file; an http output to a closed port, or whose endpoint answers
//! with a huge head, a huge body or garbage, fails each alert (counted in `failed`, logged as
//! it happens and at the latest when the outputs shut down), in bounded time and memory.

mod common;

use std::ffi::CString;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

use common::{alert, private_mount_namespace, quiet_config, refused_url};
use falco_outputs::{Outputs, OutputsConfig, OutputsError, Priority};

static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());
static LOGGER: Once = Once::new();

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut records) = RECORDS.lock() {
            records.push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

fn capture_logs() {
    LOGGER.call_once(|| {
        log::set_logger(&Capture).expect("logger");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

fn logged(needle: &str) -> bool {
    RECORDS
        .lock()
        .map(|r| {
            r.iter()
                .any(|(l, m)| *l <= log::Level::Warn && m.contains(needle))
        })
        .unwrap_or(false)
}

fn file_config(path: &Path) -> OutputsConfig {
    let mut config = quiet_config();
    config.file_output.enabled = true;
    config.file_output.filename = path.display().to_string();
    config
}

/// The start-up error for an output file that cannot be opened: Falco's words and the file.
fn assert_refused_at_start(path: &Path) {
    match Outputs::new(&file_config(path)) {
        Ok(_) => panic!("{} accepted as the output file", path.display()),
        Err(OutputsError::Config(errors)) => {
            let text = OutputsError::Config(errors.clone()).to_string();
            assert!(
                errors.iter().any(|e| e.key == "file_output.filename"
                    && e.message
                        .contains(&format!("failed to open output file {}", path.display()))),
                "{text}"
            );
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[test]
fn file_output_in_a_missing_directory_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_refused_at_start(&dir.path().join("missing").join("events.txt"));
}

#[test]
fn file_output_naming_a_directory_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_refused_at_start(dir.path());
}

/// Root writes anywhere a permission allows, so the directory is on a read-only mount, in a
/// mount namespace of this test's thread alone.
#[test]
fn file_output_in_a_read_only_directory_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = CString::new(dir.path().as_os_str().as_bytes()).expect("path");
    thread::spawn(move || {
        private_mount_namespace();
        // SAFETY: all pointers are valid NUL-terminated strings living across the call.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_RDONLY,
                c"size=65536".as_ptr().cast(),
            )
        };
        assert_eq!(rc, 0, "read-only tmpfs: {}", io::Error::last_os_error());
        let path = Path::new(target.to_str().expect("utf-8")).join("events.txt");
        assert_refused_at_start(&path);
    })
    .join()
    .expect("test thread");
}

#[test]
fn a_writable_output_file_is_accepted_and_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.txt");
    let outputs = Outputs::new(&file_config(&path)).expect("outputs");
    assert!(path.is_file(), "the file was opened (created) at start");
    outputs.send(alert(1, Priority::Error, false));
    let report = outputs.shutdown(Duration::from_secs(10));
    assert_eq!(report.stats.get("file").map(|s| s.delivered), Some(1));
}

fn http_config(url: &str) -> OutputsConfig {
    let mut config = quiet_config();
    config.http_output.enabled = true;
    config.http_output.url = url.to_string();
    config.http_output.timeout_ms = 30_000;
    // Falco's default interval: a run this short ends before the first periodic notice.
    config.notice_interval = Duration::from_secs(10);
    config
}

/// Sends `n` alerts to `url` (a number no other test uses, as the log is shared), shuts down, and checks each failed, none was delivered, the whole
/// run took bounded time, and a notice naming the failures was logged.
fn assert_every_alert_fails(url: &str, n: u64) -> String {
    capture_logs();
    let started = Instant::now();
    let outputs = Outputs::new(&http_config(url)).expect("outputs");
    for i in 0..n {
        outputs.send(alert(i as usize, Priority::Error, true));
    }
    let report = outputs.shutdown(Duration::from_secs(60));
    let stats = report.stats.get("http").expect("http stats").clone();
    assert_eq!(
        (
            stats.enqueued,
            stats.delivered,
            stats.failed,
            stats.discarded
        ),
        (n, 0, n, 0),
        "{stats:?}"
    );
    assert!(report.unfinished.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded time: {:?}",
        started.elapsed()
    );
    let notice = format!("http output: {n} alerts failed");
    assert!(
        logged(&notice),
        "no notice {notice:?}: {:?}",
        RECORDS.lock().map(|r| r.clone()).unwrap_or_default()
    );
    url.to_string()
}

/// The peak resident memory of this test process, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// An endpoint that reads each request, then writes `head` and up to `stream_bytes` of filler
/// (stopping when the client hangs up).
fn endpoint(head: &'static [u8], stream_bytes: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || answer(stream, head, stream_bytes));
        }
    });
    format!("http://{addr}/alerts")
}

fn answer(mut stream: TcpStream, head: &[u8], stream_bytes: usize) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    // The request's head, then its body by Content-Length.
    loop {
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head_text = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length: usize = head_text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    if stream.write_all(head).is_err() {
        return;
    }
    let filler = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < stream_bytes {
        if stream.write_all(&filler).is_err() {
            return;
        }
        sent += filler.len();
    }
    let _ = stream.flush();
}

const FIFTY_MB: usize = 50 * 1024 * 1024;

#[test]
fn http_output_to_a_closed_port_fails_every_alert_and_says_so() {
    assert_every_alert_fails(&refused_url(), 3);
}

#[test]
fn a_fifty_megabyte_response_header_fails_in_bounded_memory() {
    let url = endpoint(b"HTTP/1.1 200 OK\r\nX-Filler: ", FIFTY_MB);
    assert_every_alert_fails(&url, 4);
    assert!(peak_rss() < 256 * 1024 * 1024, "peak RSS {}", peak_rss());
}

#[test]
fn a_fifty_megabyte_response_body_fails_in_bounded_memory() {
    let url = endpoint(
        b"HTTP/1.1 200 OK\r\nContent-Length: 52428800\r\nConnection: close\r\n\r\n",
        FIFTY_MB,
    );
    assert_every_alert_fails(&url, 5);
    assert!(peak_rss() < 256 * 1024 * 1024, "peak RSS {}", peak_rss());
}

#[test]
fn a_garbage_reply_fails() {
    let url = endpoint(b"SSH-2.0-OpenSSH_9.9 this is not HTTP\r\n\r\n", 0);
    assert_every_alert_fails(&url, 6);
}

#[test]
fn an_endless_garbage_reply_fails_in_bounded_memory() {
    let url = endpoint(b"", FIFTY_MB);
    assert_every_alert_fails(&url, 7);
    assert!(peak_rss() < 256 * 1024 * 1024, "peak RSS {}", peak_rss());
}
