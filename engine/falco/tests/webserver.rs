//! The webserver against the real `falco` binary: `/healthz` while the source delivers, after it
//! dies and while the pipeline is stuck, `/versions`, and hostile clients (malformed requests, 1,000 idle
//! connections, slowloris), a port already in use and bad TLS certificates at start-up, and a
//! good certificate serving HTTPS.

mod web_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};
use web_common::*;

/// A falco replaying sensitive_reads through a FIFO that stays open: the engine runs, idle,
/// with its source alive, until the test ends.
fn idle_falco(dir: &Path) -> (Falco, Feed, u16) {
    let port = free_port();
    let fifo = dir.join("capture.fifo");
    let feed = Feed::start(
        &fifo,
        vec![capture_bytes("sensitive_reads")],
        Duration::ZERO,
    );
    let falco = Falco::start(
        dir,
        &replay_config(&fifo, &dir.join("alerts.json"), port, ""),
        &[],
    );
    let ok = wait_for(Duration::from_secs(20), || {
        get(port, "/healthz").ok().filter(|(s, _)| *s == 200)
    });
    assert!(ok.is_some(), "no healthy webserver: {}", falco.err());
    (falco, feed, port)
}

#[test]
fn healthz_and_versions_while_the_source_delivers() {
    let dir = tempdir();
    let (falco, _feed, port) = idle_falco(dir.path());
    let (status, body) = get(port, "/healthz").expect("healthz");
    assert_eq!((status, body.as_str()), (200, r#"{"status": "ok"}"#));
    let (status, body) = get(port, "/versions").expect("versions");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("versions is JSON");
    for key in [
        "falco_version",
        "libs_version",
        "plugin_api_version",
        "driver_api_version",
        "engine_version",
        "engine_version_semver",
    ] {
        assert!(v[key].is_string(), "{key} missing in {body}");
    }
    assert!(
        v["rules_files"][0]["name"]
            .as_str()
            .is_some_and(|n| n.ends_with("falco_rules.yaml")),
        "{body}"
    );
    let (status, _) = get(port, "/no/such/path").expect("404");
    assert_eq!(status, 404);
    drop(falco);
}

#[test]
fn healthz_turns_not_ok_when_the_source_dies() {
    let dir = tempdir();
    let port = free_port();
    let fifo = dir.path().join("capture.fifo");
    // A capture cut inside a block and followed by garbage, the FIFO kept open: the reader
    // fails on the garbage while the process goes on running.
    let data = capture_bytes("sensitive_reads");
    let mut feed = Feed::start(
        &fifo,
        vec![data[..200_000].to_vec(), vec![0xff; 65536]],
        Duration::from_millis(1500),
    );
    let mut falco = Falco::start(
        dir.path(),
        &replay_config(&fifo, &dir.path().join("alerts.json"), port, ""),
        &[],
    );
    let healthy = wait_for(Duration::from_secs(20), || {
        get(port, "/healthz").ok().filter(|(s, _)| *s == 200)
    });
    assert!(healthy.is_some(), "never healthy: {}", falco.err());
    let failed = wait_for(Duration::from_secs(20), || {
        get(port, "/healthz").ok().filter(|(s, _)| *s == 503)
    });
    let (_, body) = failed.unwrap_or_else(|| panic!("never not-ok: {}", falco.err()));
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["status"], "error", "{body}");
    assert!(
        v["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("event source failed: at byte offset")),
        "{body}"
    );
    // Still not ok a while later: the failure is not forgotten.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(get(port, "/healthz").expect("healthz").0, 503);
    falco.terminate();
    let code = falco.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(1), "a failed source exits 1: {}", falco.err());
    assert!(
        falco.err().contains("Error: at byte offset"),
        "{}",
        falco.err()
    );
    feed.finish();
}

/// Sends `raw` on a new connection and reads what comes back (until close or 5 s).
fn exchange(port: u16, raw: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = s.write_all(raw);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    buf
}

#[test]
fn malformed_requests_are_refused_and_the_server_goes_on() {
    let dir = tempdir();
    let (falco, _feed, port) = idle_falco(dir.path());
    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\x01\x02garbage\r\n\r\n".to_vec()),
        ("no version", b"GET /healthz\r\n\r\n".to_vec()),
        ("bad version", b"GET /healthz HTTP/9.9\r\n\r\n".to_vec()),
        (
            "bad header",
            b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n".to_vec(),
        ),
        ("huge header", huge_header.into_bytes()),
        (
            "bad content-length",
            b"POST /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n".to_vec(),
        ),
        (
            "TLS hello on plain HTTP",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
        ),
    ];
    for (what, raw) in cases {
        let reply = exchange(port, &raw);
        let text = String::from_utf8_lossy(&reply);
        // An error status or a closed connection; never a 200.
        assert!(
            !text.starts_with("HTTP/1.1 200"),
            "{what}: answered 200: {text:?}"
        );
        let (status, _) = get(port, "/healthz").unwrap_or_else(|e| panic!("after {what}: {e}"));
        assert_eq!(status, 200, "after {what}");
    }
    let (status, _) = parse_response(&exchange(
        port,
        b"DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ))
    .expect("a response");
    assert_eq!(status, 405);
    drop(falco);
}

#[test]
fn a_thousand_idle_connections_do_not_stop_health_answers() {
    let dir = tempdir();
    let (falco, _feed, port) = idle_falco(dir.path());
    let mut idle = Vec::new();
    for i in 0..1000 {
        let s = TcpStream::connect(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("idle connection {i}: {e}"));
        idle.push(s);
        if i % 100 == 99 {
            let (status, _) = get(port, "/healthz").unwrap_or_else(|e| panic!("after {i}: {e}"));
            assert_eq!(status, 200, "after {} idle connections", i + 1);
        }
    }
    // Health answered throughout the next two seconds, the 1,000 still open.
    let end = Instant::now() + Duration::from_secs(2);
    let mut answers = 0;
    while Instant::now() < end {
        let (status, body) = get(port, "/healthz").expect("healthz with 1000 idle");
        assert_eq!((status, body.as_str()), (200, r#"{"status": "ok"}"#));
        answers += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answers >= 5, "{answers} answers in 2 s");
    drop(idle);
    assert_eq!(get(port, "/healthz").expect("healthz").0, 200);
    drop(falco);
}

#[test]
fn slowloris_connections_are_closed_and_health_answered_meanwhile() {
    let dir = tempdir();
    let (falco, _feed, port) = idle_falco(dir.path());
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
                .expect("first bytes");
            s
        })
        .collect();
    // One more header byte per connection every 500 ms: never a whole request. The server's
    // header timeout (10 s) must close them; health is answered all along.
    let start = Instant::now();
    let mut closed_at = None;
    while start.elapsed() < Duration::from_secs(20) {
        let mut open = 0;
        for s in &mut slow {
            if s.write_all(b"a").is_ok() {
                open += 1;
            }
        }
        assert_eq!(get(port, "/healthz").expect("healthz").0, 200);
        if open == 0 {
            closed_at = Some(start.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let closed_at = closed_at.expect("slowloris connections still open after 20 s");
    assert!(
        closed_at >= Duration::from_secs(5),
        "closed before the header timeout: {closed_at:?}"
    );
    drop(falco);
}

#[test]
fn a_port_in_use_stops_the_start_with_a_clear_error() {
    let dir = tempdir();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let config = replay_config(
        Path::new(&falco_testdata::capture("sensitive_reads")),
        &dir.path().join("alerts.json"),
        port,
        "",
    );
    let mut falco = Falco::start(dir.path(), &config, &[]);
    let code = falco.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(1), "{}", falco.err());
    let want = format!(
        "Error: webserver: cannot listen on 127.0.0.1:{port} (webserver.listen_address/listen_port): Address already in use"
    );
    assert!(falco.err().contains(&want), "{want}\nin\n{}", falco.err());
    // Nothing was replayed: the error came before the source started.
    assert!(!falco.out().contains("Events processed"), "{}", falco.out());
}

fn tls_config(dir: &Path, port: u16, cert: &Path) -> String {
    replay_config(
        &falco_testdata::capture("sensitive_reads"),
        &dir.join("alerts.json"),
        port,
        "",
    )
    .replace(
        "  prometheus_metrics_enabled: true\n",
        &format!(
            "  prometheus_metrics_enabled: true\n  ssl_enabled: true\n  ssl_certificate: {}\n",
            cert.display()
        ),
    )
}

#[test]
fn bad_tls_certificates_stop_the_start_with_a_clear_error() {
    let dir = tempdir();
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let other = rcgen::KeyPair::generate().expect("key");
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("missing", None, "cannot read"),
        (
            "garbage",
            Some("not a PEM file at all\n".into()),
            "no certificate",
        ),
        (
            "certificate without key",
            Some(cert.pem()),
            "no usable private key",
        ),
        (
            "key without certificate",
            Some(key.serialize_pem()),
            "no certificate",
        ),
        (
            "key of another certificate",
            Some(format!("{}{}", other.serialize_pem(), cert.pem())),
            "the key and certificate are not usable",
        ),
    ];
    for (what, content, want) in cases {
        let path = dir.path().join(format!("{}.pem", what.replace(' ', "_")));
        if let Some(c) = content {
            std::fs::write(&path, c).expect("write pem");
        }
        let port = free_port();
        let mut falco = Falco::start(dir.path(), &tls_config(dir.path(), port, &path), &[]);
        let code = falco.wait_exit(Duration::from_secs(30));
        let err = falco.err();
        assert_eq!(code, Some(1), "{what}: {err}");
        let prefix = format!("Error: webserver: ssl_certificate {}: ", path.display());
        assert!(
            err.contains(&prefix) && err.contains(want),
            "{what}: want `{prefix}...{want}` in\n{err}"
        );
    }
}

#[test]
fn a_good_certificate_serves_https() {
    use tokio_rustls::rustls;
    let dir = tempdir();
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let pem = dir.path().join("falco.pem");
    std::fs::write(&pem, format!("{}{}", key.serialize_pem(), cert.pem())).expect("pem");
    let port = free_port();
    let fifo = dir.path().join("capture.fifo");
    let _feed = Feed::start(
        &fifo,
        vec![capture_bytes("sensitive_reads")],
        Duration::ZERO,
    );
    let config = tls_config(dir.path(), port, &pem).replace(
        &falco_testdata::capture("sensitive_reads")
            .display()
            .to_string(),
        &fifo.display().to_string(),
    );
    let falco = Falco::start(dir.path(), &config, &[]);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).expect("root");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let client = std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let https_get = || -> std::io::Result<(u16, String)> {
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let conn =
            rustls::ClientConnection::new(client.clone(), name).map_err(std::io::Error::other)?;
        let tcp = TcpStream::connect(("127.0.0.1", port))?;
        tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut buf = Vec::new();
        match tls.read_to_end(&mut buf) {
            Ok(_) => {}
            // The server may close without close_notify; the response is whole already.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => return Err(e),
        }
        parse_response(&buf)
    };
    let ok = wait_for(Duration::from_secs(20), || https_get().ok());
    assert_eq!(
        ok,
        Some((200, r#"{"status": "ok"}"#.to_string())),
        "{}",
        falco.err()
    );
    // Plain HTTP on the TLS port gets no answer.
    assert!(get(port, "/healthz").is_err());
}

#[test]
fn healthz_turns_not_ok_when_the_pipeline_is_stuck() {
    let dir = tempdir();
    let port = free_port();
    let fifo = dir.path().join("capture.fifo");
    let _feed = Feed::start(&fifo, vec![capture_bytes("busy_server")], Duration::ZERO);
    // Every event alerts, and the only output is a program that never reads its stdin: once
    // the pipe and the queue are full, a replay (which waits for room rather than shed) stops
    // in the middle of the capture, and the event loop makes no more progress.
    let rules = dir.path().join("every_event.yaml");
    std::fs::write(
        &rules,
        "- rule: Every event\n  desc: d\n  condition: evt.num > 0\n  \
         output: event %evt.type %fd.name %proc.cmdline %proc.pcmdline %user.name\n  priority: WARNING\n",
    )
    .expect("rules");
    let config = replay_config(&fifo, &dir.path().join("alerts.json"), port, "")
        .replace(
            &format!("rules_files: [{REPO}/rules/falco_rules.yaml]"),
            &format!("rules_files: [{}]", rules.display()),
        )
        .replace(
            "file_output: {enabled: true",
            "outputs_queue: {capacity: 4}\nprogram_output: {enabled: true, keep_alive: true, program: 'sleep 600'}\nfile_output: {enabled: false",
        );
    let mut falco = Falco::start(dir.path(), &config, &[]);
    // Under load the first 503 can be "the engine is not running" (the webserver answers
    // before the pipeline starts): wait for the stuck one.
    let mut last = String::new();
    let stuck = wait_for(Duration::from_secs(40), || {
        let (s, body) = get(port, "/healthz").ok()?;
        last = body.clone();
        (s == 503 && body.contains("the event pipeline is stuck: no progress for")).then_some(())
    });
    assert!(
        stuck.is_some(),
        "never reported stuck (last answer {last:?}): {}",
        falco.err()
    );
    falco.terminate();
    assert!(
        falco.wait_exit(Duration::from_secs(30)).is_some(),
        "a stop ends a stuck replay: {}",
        falco.err()
    );
}

/// SIGHUP to `falco`.
fn hangup(falco: &Falco) {
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe {
        libc::kill(falco.child.id() as libc::pid_t, libc::SIGHUP);
    }
}

#[test]
fn a_reload_restarts_the_webserver_when_its_keys_change() {
    let dir = tempdir();
    let d = dir.path();
    let first = free_port();
    let second = std::iter::repeat_with(free_port)
        .find(|p| *p != first)
        .expect("a second port");
    let fifo = d.join("capture.fifo");
    let _feed = Feed::start(
        &fifo,
        vec![capture_bytes("sensitive_reads")],
        Duration::ZERO,
    );
    let alerts = d.join("alerts.json");
    let config = |port: u16, extra: &str| {
        replay_config(
            &fifo,
            &alerts,
            port,
            &format!("watch_config_files: false\n{extra}"),
        )
    };
    let falco = Falco::start(d, &config(first, ""), &[]);
    let healthy = |port: u16| {
        wait_for(Duration::from_secs(20), || {
            get(port, "/healthz").ok().filter(|(s, _)| *s == 200)
        })
        .is_some()
    };
    assert!(healthy(first), "no webserver on {first}: {}", falco.err());

    // A new port: the server moves there, the old port closes.
    std::fs::write(d.join("falco.yaml"), config(second, "")).expect("rewrite");
    hangup(&falco);
    assert!(
        healthy(second),
        "not restarted on {second}: {}",
        falco.err()
    );
    assert!(
        get(first, "/healthz").is_err(),
        "the old port {first} still answers"
    );

    // A port another process holds: refused, and the server of the previous keys serves on.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let held = holder.local_addr().expect("addr").port();
    std::fs::write(d.join("falco.yaml"), config(held, "")).expect("rewrite");
    hangup(&falco);
    let refused = wait_for(Duration::from_secs(20), || {
        falco
            .err()
            .contains("the webserver's new keys cannot be served")
            .then_some(())
    });
    assert!(refused.is_some(), "no refusal logged: {}", falco.err());
    assert!(
        falco.err().contains("serving with the previous keys"),
        "{}",
        falco.err()
    );
    assert!(
        healthy(second),
        "the previous server is gone: {}",
        falco.err()
    );
    drop(holder);

    // webserver.enabled false: stopped, while the engine runs on.
    let off = config(second, "").replace(
        "webserver:\n  enabled: true",
        "webserver:\n  enabled: false",
    );
    assert!(off.contains("enabled: false"), "{off}");
    std::fs::write(d.join("falco.yaml"), off).expect("rewrite");
    hangup(&falco);
    let stopped = wait_for(Duration::from_secs(20), || get(second, "/healthz").err());
    assert!(stopped.is_some(), "still serving: {}", falco.err());
    let mut falco = falco;
    assert_eq!(
        falco.wait_exit(Duration::from_millis(500)),
        None,
        "{}",
        falco.err()
    );
}
