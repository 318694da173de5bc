//! The built-in k8s_audit source's inputs and configuration, through the `falco` binary: the
//! traces posted to the webhook as kube-apiserver's batching backend posts them give the
//! alerts the file input gives; every bad input of issue #19 item 5 gets its error or HTTP
//! status and never stops the source; the plugin entries Falco users write select the source,
//! and what it cannot serve, or a rule using a field its source lacks, is a clear error.

mod k8s_audit_common;

use k8s_audit_common::{alerts, config, event_list, post, reference, request, trace_events, Falco};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn falco(cfg: &Path, rules: &[&Path], args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_falco"));
    c.arg("-c").arg(cfg).args(["--enable-source", "k8s_audit"]);
    for r in rules {
        c.arg("-r").arg(r);
    }
    c.args(args);
    c
}

/// Every trace of the reference, sorted.
fn traces() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(reference().join("traces"))
        .expect("traces")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "fal_01_003.json"))
        .collect();
    v.sort();
    v
}

/// A webhook falco on a free port with the official rules.
fn webhook_falco(dir: &Path, extra: &str) -> (Falco, SocketAddr) {
    let cfg = dir.join("falco.yaml");
    std::fs::write(&cfg, config("http://127.0.0.1:0/k8s-audit", extra)).expect("config");
    let rules = reference().join("rules/k8s_audit_rules.yaml");
    let mut f = Falco::spawn(falco(&cfg, &[&rules], &[]));
    let addr = f.webhook_addr();
    (f, addr)
}

#[test]
fn webhook_batches_give_the_alerts_of_the_file_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = reference().join("rules/k8s_audit_rules.yaml");
    // The file input: every trace, one after the other, in one folder read in mtime order is
    // not stable; one run per file instead.
    let mut from_files = Vec::new();
    let cfg = dir.path().join("file.yaml");
    std::fs::write(&cfg, config("/nonexistent", "")).expect("config");
    for t in traces() {
        let out = falco(&cfg, &[&rules], &["-o"])
            .arg(format!("plugins[0].open_params={}", t.display()))
            .output()
            .expect("falco");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        from_files.extend(alerts(&lines));
    }
    assert!(
        from_files.len() >= 20,
        "only {} alerts from the files",
        from_files.len()
    );

    let (mut f, addr) = webhook_falco(dir.path(), "");
    for t in traces() {
        let body = event_list(&trace_events(&t));
        let (status, answer) = post(addr, "/k8s-audit", "application/json", body.as_bytes());
        assert_eq!(status, 200, "{}: {answer}", t.display());
    }
    let want = from_files.len();
    assert!(
        f.until(Duration::from_secs(30), |seen| alerts(seen).len() >= want),
        "{} of {want} alerts through the webhook",
        alerts(&f.seen).len()
    );
    let (status, lines) = f.stop();
    assert!(status.success(), "{lines:#?}");
    let mut from_webhook = alerts(&lines);
    from_webhook.sort();
    from_files.sort();
    assert_eq!(from_webhook, from_files);
    let summary = lines.join("\n");
    assert!(
        summary.contains(&format!("Events detected: {want}")),
        "{summary}"
    );
}

#[test]
fn bad_webhook_requests_get_their_status_and_the_source_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut f, addr) = webhook_falco(dir.path(), "");
    let good = event_list(&trace_events(
        &reference().join("traces/create_nginx_pod_privileged.json"),
    ));
    let json = "application/json";
    // Not an audit event, as the plugin says it.
    let (s, b) = post(addr, "/k8s-audit", json, br#"{"kind": 0}"#);
    assert_eq!(
        (s, b.trim()),
        (400, "data not recognized as a k8s audit event")
    );
    // Truncated JSON.
    let (s, b) = post(addr, "/k8s-audit", json, &good.as_bytes()[..good.len() / 2]);
    assert_eq!(s, 400);
    assert!(b.contains("invalid JSON"), "{b}");
    // Wrong content type, method, path.
    assert_eq!(
        post(addr, "/k8s-audit", "text/plain", good.as_bytes()).0,
        415
    );
    let (s, _) = request(
        addr,
        "GET /k8s-audit HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(s, 405);
    assert_eq!(post(addr, "/other", json, good.as_bytes()).0, 404);
    // Huge bodies: told by Content-Length (nothing read), or found while reading a chunked one.
    let head = "POST /k8s-audit HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n";
    assert_eq!(request(addr, head, b"{").0, 413);
    let mut chunked = Vec::new();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..13 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = "POST /k8s-audit HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    assert_eq!(request(addr, head, &chunked).0, 413);
    // A slow client holding a half-sent body, and a dead one that leaves mid-body: neither
    // holds up the next batch.
    let mut slow = TcpStream::connect(addr).expect("connect");
    write!(slow, "POST /k8s-audit HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"kind\":").expect("slow");
    {
        let mut dead = TcpStream::connect(addr).expect("connect");
        write!(dead, "POST /k8s-audit HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{").expect("dead");
    }
    let (s, b) = post(addr, "/k8s-audit", json, good.as_bytes());
    assert_eq!(s, 200, "{b}");
    assert!(
        f.until(Duration::from_secs(10), |seen| alerts(seen)
            .iter()
            .any(|(r, _)| r == "Create Privileged Pod")),
        "the good batch's alert: {:#?}",
        f.seen
    );
    // A flood: many clients at once. Every batch is answered 200 (queued, then alerted) or
    // 503 (shed, counted); none is lost silently.
    let ok = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (ok, good) = (ok.clone(), good.clone());
            std::thread::spawn(move || {
                for _ in 0..25 {
                    match post(addr, "/k8s-audit", "application/json", good.as_bytes()).0 {
                        200 => {
                            ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        503 => {}
                        other => panic!("flood answer {other}"),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client");
    }
    drop(slow);
    let accepted = ok.load(std::sync::atomic::Ordering::Relaxed) + 1;
    let priv_alerts = |seen: &[String]| {
        alerts(seen)
            .iter()
            .filter(|(r, _)| r == "Create Privileged Pod")
            .count()
    };
    assert!(
        f.until(Duration::from_secs(30), |seen| priv_alerts(seen)
            >= accepted),
        "{} alerts for {accepted} accepted batches",
        priv_alerts(&f.seen)
    );
    let (status, lines) = f.stop();
    assert!(status.success(), "{lines:#?}");
    assert_eq!(priv_alerts(&lines), accepted);
    let text = lines.join("\n");
    assert!(text.contains("k8s_audit: "), "{text}");
    assert!(text.contains("requests refused"), "{text}");
}

#[test]
fn a_file_that_is_not_audit_events_is_said_so_and_good_lines_still_alert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(&cfg, config("/nonexistent", "")).expect("config");
    let rules = reference().join("rules/k8s_audit_rules.yaml");
    // Falco's fal_01_003 case: the trace is JSON but no audit event.
    let bad = reference().join("traces/fal_01_003.json");
    let out = falco(&cfg, &[&rules], &["-o"])
        .arg(format!("plugins[0].open_params={}", bad.display()))
        .output()
        .expect("falco");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("data not recognized as a k8s audit event"),
        "{err}"
    );
    assert!(
        err.contains("fal_01_003.json:1"),
        "the line is named: {err}"
    );
    // Mixed: not JSON, truncated, no timestamp, then a good event.
    let good = std::fs::read_to_string(reference().join("traces/create_nginx_pod_privileged.json"))
        .expect("trace");
    let mixed = dir.path().join("mixed.log");
    std::fs::write(
        &mixed,
        format!(
            "not json\n{}\n{{\"kind\":\"Event\",\"auditID\":\"x\"}}\n{}",
            &good[..40],
            good.trim()
        ),
    )
    .expect("write");
    let out = falco(&cfg, &[&rules], &["-o"])
        .arg(format!("plugins[0].open_params={}", mixed.display()))
        .output()
        .expect("falco");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert!(out.status.success(), "{err}");
    assert_eq!(alerts(&lines).len(), 1, "{lines:#?}");
    for (line, what) in [
        (1, "invalid JSON"),
        (2, "invalid JSON"),
        (3, "can't read stageTimestamp"),
    ] {
        assert!(
            err.contains(&format!("mixed.log:{line}: {what}")),
            "line {line}: {err}"
        );
    }
    assert!(err.contains("1 events accepted, 3 refused"), "{err}");
    // A missing file stops the start with its name.
    let out = falco(
        &cfg,
        &[&rules],
        &["-o", "plugins[0].open_params=/nonexistent/audit.log"],
    )
    .output()
    .expect("falco");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("/nonexistent/audit.log"), "{err}");
}

#[test]
fn plugin_entries_select_the_source_or_say_what_cannot_be_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = reference().join("traces/create_nginx_pod_privileged.json");
    let rules = reference().join("rules/k8s_audit_rules.yaml");
    let run = |yaml: &str, args: &[&str]| {
        let cfg = dir.path().join("c.yaml");
        std::fs::write(&cfg, yaml).expect("config");
        let out = Command::new(env!("CARGO_BIN_EXE_falco"))
            .arg("-c")
            .arg(&cfg)
            .arg("-r")
            .arg(&rules)
            .args(args)
            .output()
            .expect("falco");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let params = format!("plugins[0].open_params={}", trace.display());
    // As Falco users write it: the info line, then the alert.
    let (ok, out, err) = run(
        &config("/nonexistent", ""),
        &["--enable-source", "k8s_audit", "-o", &params],
    );
    assert!(ok, "{err}");
    assert!(err.contains("plugin k8saudit (library_path libk8saudit.so): served by the built-in k8s_audit source"), "{err}");
    assert!(out.contains("\"rule\":\"Create Privileged Pod\""), "{out}");
    // --disable-source syscall is the same.
    let (ok, out, _) = run(
        &config("/nonexistent", ""),
        &["--disable-source", "syscall", "-o", &params],
    );
    assert!(ok && out.contains("Create Privileged Pod"), "{out}");
    // Without the plugin entry the source is unknown, as in Falco.
    let (ok, _, err) = run(
        "stdout_output: {enabled: true}\n",
        &["--enable-source", "k8s_audit"],
    );
    assert!(!ok);
    assert!(
        err.contains("Attempted enabling an unknown event source: k8s_audit"),
        "{err}"
    );
    // --disable-source k8s_audit leaves the plugin entry unused: no input is opened.
    let (ok, _, err) = run(
        &config(
            "/nonexistent",
            "engine: {kind: replay, replay: {capture_file: /nonexistent.scap}}\n",
        ),
        &["--disable-source", "k8s_audit"],
    );
    assert!(!ok);
    assert!(
        !err.contains("served by the built-in k8s_audit source"),
        "{err}"
    );
    // A plugin this engine does not serve, loaded: an error naming it, at its line.
    let (ok, _, err) = run(
        "plugins:\n  - name: cloudtrail\n    library_path: libcloudtrail.so\nload_plugins: [cloudtrail]\n",
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("c.yaml:2:5: plugin `cloudtrail` cannot be loaded"),
        "{err}"
    );
    // A k8saudit entry whose library is another plugin's (a cloud variant).
    let (ok, _, err) = run(
        &config("/nonexistent", "").replace(
            "libk8saudit.so",
            "/usr/share/falco/plugins/libk8saudit-eks.so",
        ),
        &[],
    );
    assert!(!ok);
    assert!(err.contains("plugin `k8saudit`: library_path `/usr/share/falco/plugins/libk8saudit-eks.so` is not served natively"), "{err}");
    // A scheme the plugin does not know.
    let (ok, _, err) = run(&config("ftp://x/y", ""), &[]);
    assert!(!ok);
    assert!(err.contains("scheme \"ftp\" is not supported"), "{err}");
}

#[test]
fn a_rule_using_a_field_its_source_lacks_is_an_error_at_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("falco.yaml");
    std::fs::write(&empty, "").expect("config");
    // The seeds' example rule: syscall fields under source k8s_audit.
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: Pod exec\n  desc: d\n  condition: ka.verb = create and proc.name = kubectl\n  output: \"exec (container=%container.id)\"\n  priority: WARNING\n  source: k8s_audit\n",
    )
    .expect("rules");
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&empty)
        .arg("-V")
        .arg(&rules)
        .output()
        .expect("falco");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("filter_check called with nonexistent field proc.name: a field of the syscall source, not of this rule's source k8s_audit"),
        "{text}"
    );
    assert!(
        text.contains("rules.yaml:3:35"),
        "the position of proc.name: {text}"
    );
    // And the other way round.
    std::fs::write(
        &rules,
        "- rule: r\n  desc: d\n  condition: evt.type = open and ka.verb = create\n  output: o\n  priority: WARNING\n",
    )
    .expect("rules");
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&empty)
        .arg("-V")
        .arg(&rules)
        .output()
        .expect("falco");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains(
            "field ka.verb: a field of the k8s_audit source, not of this rule's source syscall"
        ),
        "{text}"
    );
    // The official k8s audit rules load unchanged, required_plugin_versions included.
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&empty)
        .arg("-V")
        .arg(reference().join("rules/k8s_audit_rules.yaml"))
        .output()
        .expect("falco");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The packaged copy is that file, unchanged.
    let shipped =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/k8s_audit_rules.yaml");
    assert_eq!(
        std::fs::read(&shipped).expect("rules/k8s_audit_rules.yaml"),
        std::fs::read(reference().join("rules/k8s_audit_rules.yaml")).expect("reference")
    );
    // `--list k8s_audit` shows the source's fields, and only those.
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&empty)
        .args(["--list", "k8s_audit"])
        .output()
        .expect("falco");
    let list = String::from_utf8_lossy(&out.stdout);
    for f in [
        "ka.req.pod.containers.image",
        "ka.uri.param",
        "json.value",
        "jevt.rawtime",
    ] {
        assert!(
            list.contains(f),
            "{f} missing from --list k8s_audit:\n{list}"
        );
    }
    assert!(!list.contains("proc.name"), "{list}");
}

#[test]
fn an_https_webhook_takes_batches_over_tls_with_init_config_ssl_certificate() {
    use std::io::Read;
    use tokio_rustls::rustls;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let pem = dir.path().join("falco.pem");
    std::fs::write(&pem, format!("{}{}", key.serialize_pem(), cert.pem())).expect("pem");
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        config("https://127.0.0.1:0/k8s-audit", "").replace(
            "    init_config: \"\"\n    open_params: \"https",
            &format!(
                "    init_config: {{sslCertificate: {}}}\n    open_params: \"https",
                pem.display()
            ),
        ),
    )
    .expect("config");
    let rules = reference().join("rules/k8s_audit_rules.yaml");
    let mut f = Falco::spawn(falco(&cfg, &[&rules], &[]));
    let line = f
        .wait_for("reading https://", Duration::from_secs(60))
        .unwrap_or_else(|| panic!("no https webhook: {:#?}", f.seen));
    let addr: SocketAddr = line
        .split("reading https://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .expect("address");
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
    let body = event_list(&trace_events(
        &reference().join("traces/create_nginx_pod_privileged.json"),
    ));
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(client, name).expect("client");
    let tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        f.until(Duration::from_secs(10), |seen| alerts(seen)
            .iter()
            .any(|(r, _)| r == "Create Privileged Pod")),
        "{:#?}",
        f.seen
    );
    // Plain HTTP on the TLS port gets no HTTP answer.
    let (status, _) = post(addr, "/k8s-audit", "application/json", body.as_bytes());
    assert_eq!(status, 0);
    let (status, lines) = f.stop();
    assert!(status.success(), "{lines:#?}");
}

#[test]
fn a_file_url_is_followed_as_it_grows_and_rotates() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("audit.log");
    let old = std::fs::read_to_string(reference().join("traces/create_nginx_pod_privileged.json"))
        .expect("trace");
    // Present before the start: not read (the follower starts at the end).
    std::fs::write(&log, &old).expect("log");
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(&cfg, config(&format!("file://{}", log.display()), "")).expect("config");
    let rules = reference().join("rules/k8s_audit_rules.yaml");
    let mut f = Falco::spawn(falco(&cfg, &[&rules], &[]));
    f.wait_for("(followed)", Duration::from_secs(60))
        .unwrap_or_else(|| panic!("no start line: {:#?}", f.seen));
    let count =
        |seen: &[String], rule: &str| alerts(seen).iter().filter(|(r, _)| r == rule).count();
    let append = |text: &str| {
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("append");
        w.write_all(text.as_bytes()).expect("write");
    };
    let ns = std::fs::read_to_string(reference().join("traces/delete_namespace_foo.json"))
        .expect("trace");
    append(ns.trim_end());
    // Half a line: nothing yet; the newline completes it.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(count(&f.seen, "K8s Namespace Deleted"), 0);
    append("\n");
    assert!(
        f.until(Duration::from_secs(10), |seen| count(
            seen,
            "K8s Namespace Deleted"
        ) == 1),
        "{:#?}",
        f.seen
    );
    // Rotated: the old file renamed, a new one created.
    std::fs::rename(&log, dir.path().join("audit.log.1")).expect("rotate");
    std::fs::write(&log, &old).expect("new log");
    assert!(
        f.until(Duration::from_secs(10), |seen| count(
            seen,
            "Create Privileged Pod"
        ) == 1),
        "{:#?}",
        f.seen
    );
    let (status, lines) = f.stop();
    assert!(status.success(), "{lines:#?}");
    assert_eq!(
        count(&lines, "Create Privileged Pod"),
        1,
        "the lines before the start were not read"
    );
}
