//! Receivers started by the tests themselves: an HTTP(S) server on 127.0.0.1, a test PKI, a
//! private rsyslogd, private mount namespaces; plus alert builders and condition waits.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use falco_outputs::{Alert, OutputsConfig, Priority};

/// A configuration with every output disabled and a short notice interval.
pub fn quiet_config() -> OutputsConfig {
    let mut config = OutputsConfig::default();
    config.stdout_output.enabled = false;
    config.syslog_output.enabled = false;
    config.log_syslog = false;
    config.notice_interval = Duration::from_millis(100);
    config
}

/// Alert number `i`, formatted the way Falco prints it (JSON object or text line).
pub fn alert(i: usize, priority: Priority, json: bool) -> Alert {
    let output = format!("alert-{i:06} A shell was spawned in a container (user=root proc=bash)");
    let time = "2026-01-01T00:00:00.000000000Z";
    let line = if json {
        serde_json::json!({
            "hostname": "test-host",
            "output": output,
            "priority": priority.name(),
            "rule": "Terminal shell in container",
            "source": "syscall",
            "tags": ["container", "shell"],
            "time": time,
            "output_fields": {"user.name": "root", "proc.name": "bash", "evt.num": i},
        })
        .to_string()
    } else {
        format!("00:00:00.000000000: {} {output}", priority.name())
    };
    Alert {
        time_ns: 1_767_225_600_000_000_000 + i as u64,
        priority,
        rule: "Terminal shell in container".into(),
        source: "syscall".into(),
        tags: vec!["container".into(), "shell".into()],
        hostname: "test-host".into(),
        line,
        json,
        message: output,
        output_fields: vec![
            ("evt.num".into(), i.to_string()),
            ("proc.name".into(), "bash".into()),
            ("user.name".into(), "root".into()),
        ],
    }
}

/// The number in `alert-NNNNNN` within a delivered line.
pub fn alert_id(line: &str) -> Option<usize> {
    let at = line.find("alert-")?;
    line.get(at + 6..at + 12)?.parse().ok()
}

/// How many times each alert number occurs in the lines of `text`.
pub fn ids_in(text: &str) -> BTreeMap<usize, usize> {
    let mut ids = BTreeMap::new();
    for id in text.lines().filter_map(alert_id) {
        *ids.entry(id).or_insert(0) += 1;
    }
    ids
}

pub fn read_or_empty(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Waits until `condition` holds, polling with a growing pause; panics after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP receiver

/// How the receiver answers.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// Answer every request with this status at once.
    Answer(u16),
    /// Read the request, then hold it unanswered until [`HttpReceiver::release`].
    Hang,
    /// Wait this long, then answer 200.
    Slow(Duration),
    /// Answer the first `times` requests with `status` (and a `Retry-After` of that many
    /// seconds when given), every later one with 200.
    FailFirst {
        status: u16,
        retry_after: Option<u32>,
        times: usize,
    },
}

/// One request as received (body gunzipped when it came with `Content-Encoding: gzip`).
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub connection: usize,
    /// When the request's body had arrived.
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    behaviour: Behaviour,
    tls: Option<Arc<rustls::ServerConfig>>,
    received: Mutex<Vec<Received>>,
    connections: AtomicUsize,
    held: AtomicUsize,
    tls_failures: AtomicUsize,
    released: AtomicBool,
    stop: AtomicBool,
}

/// An HTTP/1.1 server on 127.0.0.1 (optionally TLS, optionally requiring client certificates).
pub struct HttpReceiver {
    pub url: String,
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl HttpReceiver {
    pub fn start(behaviour: Behaviour) -> Self {
        Self::start_with(behaviour, None)
    }

    pub fn start_tls(behaviour: Behaviour, tls: Arc<rustls::ServerConfig>) -> Self {
        Self::start_with(behaviour, Some(tls))
    }

    fn start_with(behaviour: Behaviour, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let state = Arc::new(State {
            behaviour,
            tls,
            received: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
            tls_failures: AtomicUsize::new(0),
            released: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let accept_state = state.clone();
        let accept = thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_state.stop.load(SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let id = accept_state.connections.fetch_add(1, SeqCst);
                let state = accept_state.clone();
                thread::spawn(move || serve(stream, id, &state));
            }
        });
        HttpReceiver {
            url: format!("{scheme}://{addr}/alerts"),
            addr,
            state,
            accept: Some(accept),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.state.received.lock().map(|r| r.len()).unwrap_or(0)
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(SeqCst)
    }

    /// Requests currently held unanswered ([`Behaviour::Hang`]).
    pub fn held(&self) -> usize {
        self.state.held.load(SeqCst)
    }

    pub fn tls_failures(&self) -> usize {
        self.state.tls_failures.load(SeqCst)
    }

    /// Lets held requests go (their connections are closed unanswered).
    pub fn release(&self) {
        self.state.released.store(true, SeqCst);
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.state.stop.store(true, SeqCst);
        self.release();
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A URL on 127.0.0.1 where nothing listens: connections are refused.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/alerts")
}

fn serve(stream: TcpStream, id: usize, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let _ = stream.set_nodelay(true);
    match &state.tls {
        None => {
            let mut stream = stream;
            handle(&mut stream, id, state);
        }
        Some(config) => {
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(conn, stream);
            // Complete the handshake first so failures are told apart from plain EOF.
            while tls.conn.is_handshaking() {
                if tls.conn.complete_io(&mut tls.sock).is_err() {
                    state.tls_failures.fetch_add(1, SeqCst);
                    return;
                }
            }
            handle(&mut tls, id, state);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn handle(stream: &mut (impl Read + Write), id: usize, state: &State) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let header_end = loop {
            if let Some(at) = find(&buf, b"\r\n\r\n") {
                break at + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let path = request_line.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < header_end + length {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let raw: Vec<u8> = buf.drain(..header_end + length).skip(header_end).collect();
        let body = if header("content-encoding").is_some_and(|v| v.eq_ignore_ascii_case("gzip")) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .expect("a valid gzip body");
            out
        } else {
            raw
        };
        let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let status = match state.behaviour {
            Behaviour::Hang => {
                state.held.fetch_add(1, SeqCst);
                while !state.released.load(SeqCst) {
                    thread::sleep(Duration::from_millis(5));
                }
                state.held.fetch_sub(1, SeqCst);
                return;
            }
            Behaviour::Slow(delay) => {
                thread::sleep(delay);
                200
            }
            Behaviour::Answer(status) => status,
            Behaviour::FailFirst { status, times, .. } => {
                let seen = state.received.lock().map(|r| r.len()).unwrap_or(0);
                if seen < times {
                    status
                } else {
                    200
                }
            }
        };
        let retry_after = match state.behaviour {
            Behaviour::FailFirst {
                retry_after: Some(secs),
                ..
            } if status != 200 => format!("Retry-After: {secs}\r\n"),
            _ => String::new(),
        };
        if let Ok(mut received) = state.received.lock() {
            received.push(Received {
                method,
                path,
                headers: headers.clone(),
                body,
                connection: id,
                at: Instant::now(),
            });
        }
        let response = format!(
            "HTTP/1.1 {status} Status\r\n{retry_after}Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
        );
        if stream
            .write_all(response.as_bytes())
            .and_then(|()| stream.flush())
            .is_err()
            || close
        {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Test PKI

/// A CA made for the test, a server certificate for 127.0.0.1 and a client certificate, all
/// written as PEM files.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca_pem: PathBuf,
    pub client_cert_pem: PathBuf,
    pub client_key_pem: PathBuf,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    server_der: rustls::pki_types::CertificateDer<'static>,
    server_key_der: Vec<u8>,
}

impl TestPki {
    pub fn generate() -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "falco-outputs test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).expect("CA cert");

        let server_key = KeyPair::generate().expect("server key");
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("params");
        server_params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server_params
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server cert");

        let client_key = KeyPair::generate().expect("client key");
        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        client_params
            .distinguished_name
            .push(DnType::CommonName, "falco");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params
            .signed_by(&client_key, &ca, &ca_key)
            .expect("client cert");

        let ca_pem = dir.path().join("ca.pem");
        let client_cert_pem = dir.path().join("client.crt");
        let client_key_pem = dir.path().join("client.key");
        fs::write(&ca_pem, ca.pem()).expect("write");
        fs::write(&client_cert_pem, client.pem()).expect("write");
        fs::write(&client_key_pem, client_key.serialize_pem()).expect("write");
        TestPki {
            dir,
            ca_pem,
            client_cert_pem,
            client_key_pem,
            ca_der: ca.der().clone(),
            server_der: server.der().clone(),
            server_key_der: server_key.serialize_der(),
        }
    }

    /// The server's TLS configuration; with `mtls`, clients must present a certificate of the
    /// test CA.
    pub fn server_config(&self, mtls: bool) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = if mtls {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).expect("CA root");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.server_key_der.clone().into());
        Arc::new(
            builder
                .with_single_cert(vec![self.server_der.clone()], key)
                .expect("server cert"),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Namespaces and mounts (the tests run as root)

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("path without NUL")
}

/// Moves the calling thread into a mount namespace of its own whose mounts do not propagate
/// back. Threads and processes it starts afterwards share it; it ends with them.
pub fn private_mount_namespace() {
    // SAFETY: unshare and mount take no pointers but the NUL-terminated literals given here.
    unsafe {
        assert_eq!(
            libc::unshare(libc::CLONE_NEWNS),
            0,
            "unshare(CLONE_NEWNS): {} (the tests need root)",
            io::Error::last_os_error()
        );
        let rc = libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        );
        assert_eq!(rc, 0, "making / private: {}", io::Error::last_os_error());
    }
}

/// Bind-mounts `source` over `target` (in the caller's mount namespace).
pub fn bind_mount(source: &Path, target: &Path) {
    let (source, target) = (cstring(source), cstring(target));
    // SAFETY: both paths are valid NUL-terminated strings living across the call.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "bind mount: {}", io::Error::last_os_error());
}

/// Mounts a tmpfs of `bytes` bytes on `target` (in the caller's mount namespace).
pub fn mount_tmpfs(target: &Path, bytes: usize) {
    let target = cstring(target);
    let options = CString::new(format!("size={bytes},mode=0755")).expect("options");
    // SAFETY: all pointers are valid NUL-terminated strings living across the call.
    let rc = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            options.as_ptr().cast(),
        )
    };
    assert_eq!(rc, 0, "mounting a tmpfs: {}", io::Error::last_os_error());
}

// ---------------------------------------------------------------------------------------------
// rsyslog

/// A private rsyslogd: its own config, pid file and socket (`<dir>/dev/log`), writing every
/// message as `facility|severity|message` to `<dir>/received.log`.
pub struct Rsyslog {
    pub dir: tempfile::TempDir,
    pub dev: PathBuf,
    pub received: PathBuf,
    child: Child,
}

pub fn rsyslogd_path() -> PathBuf {
    ["/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/bin/rsyslogd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("rsyslogd is not installed (apt-get install rsyslog; .ci/run does)")
}

impl Rsyslog {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let dev = dir.path().join("dev");
        fs::create_dir(&dev).expect("mkdir");
        let socket = dev.join("log");
        let received = dir.path().join("received.log");
        let config = dir.path().join("rsyslog.conf");
        let d = dir.path().display();
        fs::write(
            &config,
            format!(
                r#"global(workDirectory="{d}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}" RateLimit.Interval="0")
template(name="probe" type="string" string="%syslogfacility-text%|%syslogseverity-text%|%msg%\n")
*.* action(type="omfile" file="{received}" template="probe")
"#,
                socket = socket.display(),
                received = received.display()
            ),
        )
        .expect("write config");
        let child = Command::new(rsyslogd_path())
            .arg("-n")
            .arg("-f")
            .arg(&config)
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rsyslogd");
        let mut rsyslog = Rsyslog {
            dir,
            dev,
            received,
            child,
        };
        let socket_ready = || socket.exists();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket_ready() {
            if let Ok(Some(status)) = rsyslog.child.try_wait() {
                panic!("rsyslogd exited at startup: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not create its socket"
            );
            thread::sleep(Duration::from_millis(10));
        }
        rsyslog
    }

    /// The lines received so far, as (facility, severity, message).
    pub fn lines(&self) -> Vec<(String, String, String)> {
        read_or_empty(&self.received)
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, '|');
                Some((
                    parts.next()?.to_string(),
                    parts.next()?.to_string(),
                    parts.next()?.trim().to_string(),
                ))
            })
            .collect()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
