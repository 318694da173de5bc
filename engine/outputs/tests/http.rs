//! http_output against an HTTP(S) server on 127.0.0.1 started by each test.

mod common;

use std::time::Duration;

use common::{alert, alert_id, quiet_config, wait_for, Behaviour, HttpReceiver, TestPki};
use falco_outputs::{Outputs, OutputsConfig, OutputsError, Priority};

const N: usize = 300;

fn http_config(url: &str) -> OutputsConfig {
    let mut config = quiet_config();
    config.http_output.enabled = true;
    config.http_output.url = url.to_string();
    config
}

/// Sends N JSON alerts and checks the receiver got each exactly once, as well-formed JSON with
/// Falco's fields, the JSON content type and the configured user agent.
fn check_every_json_body(config: &OutputsConfig, receiver: &HttpReceiver) {
    let outputs = Outputs::new(config).expect("outputs");
    for i in 0..N {
        outputs.send(alert(i, Priority::ALL[i % 8], true));
    }
    let report = outputs.shutdown(Duration::from_secs(30));
    assert!(report.unfinished.is_empty());
    let stats = report.stats.get("http").expect("http stats").clone();
    assert_eq!(
        (stats.enqueued, stats.delivered, stats.failed, stats.shed),
        (N as u64, N as u64, 0, 0),
        "{stats:?}"
    );
    let received = receiver.received();
    assert_eq!(received.len(), N);
    let mut seen = vec![false; N];
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/alerts");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.header("user-agent"),
            Some(config.http_output.user_agent.as_str())
        );
        let body: serde_json::Value =
            serde_json::from_slice(&request.body).expect("well-formed JSON body");
        for key in [
            "hostname",
            "output",
            "priority",
            "rule",
            "source",
            "tags",
            "time",
            "output_fields",
        ] {
            assert!(
                body.get(key).is_some(),
                "Falcosidekick field {key} missing in {body}"
            );
        }
        let id = alert_id(body["output"].as_str().unwrap_or_default()).expect("alert id");
        assert_eq!(body["priority"], Priority::ALL[id % 8].name());
        assert!(!seen[id], "alert {id} received twice");
        seen[id] = true;
    }
}

#[test]
fn every_json_body_arrives_with_json_content_type() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = http_config(&receiver.url);
    config.http_output.user_agent = "falcosecurity/falco-test".into();
    check_every_json_body(&config, &receiver);
}

#[test]
fn keep_alive_reuses_one_connection_and_without_it_each_alert_connects() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = http_config(&receiver.url);
    config.http_output.keep_alive = true;
    check_every_json_body(&config, &receiver);
    assert_eq!(
        receiver.connections(),
        1,
        "keep_alive: one persistent connection"
    );

    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let config = http_config(&receiver.url);
    check_every_json_body(&config, &receiver);
    assert_eq!(
        receiver.connections(),
        N,
        "no keep_alive: one connection per alert"
    );
}

#[test]
fn compress_uploads_sends_gzip_bodies() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = http_config(&receiver.url);
    config.http_output.compress_uploads = true;
    config.http_output.keep_alive = true;
    check_every_json_body(&config, &receiver);
    assert!(receiver
        .received()
        .iter()
        .all(|r| r.header("content-encoding") == Some("gzip")));
}

#[test]
fn text_alerts_are_posted_as_text_plain() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let outputs = Outputs::new(&http_config(&receiver.url)).expect("outputs");
    outputs.send(alert(7, Priority::Warning, false));
    outputs.shutdown(Duration::from_secs(10));
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].header("content-type"), Some("text/plain"));
    assert_eq!(
        String::from_utf8_lossy(&received[0].body),
        alert(7, Priority::Warning, false).line
    );
}

#[test]
fn non_2xx_answers_are_counted_as_failed() {
    let receiver = HttpReceiver::start(Behaviour::Answer(503));
    let outputs = Outputs::new(&http_config(&receiver.url)).expect("outputs");
    for i in 0..20 {
        outputs.send(alert(i, Priority::Error, true));
    }
    let stats = outputs.shutdown(Duration::from_secs(10)).stats;
    let http = stats.get("http").expect("http");
    assert_eq!((http.delivered, http.failed), (0, 20), "{http:?}");
    assert_eq!(receiver.count(), 20);
}

#[test]
fn tls_with_a_test_ca() {
    let pki = TestPki::generate();
    let receiver = HttpReceiver::start_tls(Behaviour::Answer(200), pki.server_config(false));
    assert!(receiver.url.starts_with("https://127.0.0.1:"));
    let mut config = http_config(&receiver.url);
    config.http_output.ca_cert = pki.ca_pem.display().to_string();
    config.http_output.keep_alive = true;
    check_every_json_body(&config, &receiver);

    // The same CA given as ca_bundle, and as a ca_path directory.
    let receiver = HttpReceiver::start_tls(Behaviour::Answer(200), pki.server_config(false));
    let mut config = http_config(&receiver.url);
    config.http_output.ca_bundle = pki.ca_pem.display().to_string();
    config.http_output.keep_alive = true;
    check_every_json_body(&config, &receiver);

    let ca_dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&pki.ca_pem, ca_dir.path().join("test-ca.pem")).expect("copy");
    let receiver = HttpReceiver::start_tls(Behaviour::Answer(200), pki.server_config(false));
    let mut config = http_config(&receiver.url);
    config.http_output.ca_path = ca_dir.path().display().to_string();
    config.http_output.keep_alive = true;
    check_every_json_body(&config, &receiver);
}

#[test]
fn tls_rejects_an_unknown_ca_unless_insecure() {
    let pki = TestPki::generate();
    let other = TestPki::generate();
    let receiver = HttpReceiver::start_tls(Behaviour::Answer(200), pki.server_config(false));
    let mut config = http_config(&receiver.url);
    config.http_output.ca_cert = other.ca_pem.display().to_string();
    let outputs = Outputs::new(&config).expect("outputs");
    outputs.send(alert(1, Priority::Critical, true));
    let http = outputs
        .shutdown(Duration::from_secs(10))
        .stats
        .get("http")
        .cloned()
        .expect("http");
    assert_eq!((http.delivered, http.failed), (0, 1));
    assert_eq!(receiver.count(), 0);

    config.http_output.insecure = true;
    let outputs = Outputs::new(&config).expect("outputs");
    outputs.send(alert(2, Priority::Critical, true));
    let http = outputs
        .shutdown(Duration::from_secs(10))
        .stats
        .get("http")
        .cloned()
        .expect("http");
    assert_eq!((http.delivered, http.failed), (1, 0));
    assert_eq!(receiver.count(), 1);
}

#[test]
fn mtls_presents_the_client_certificate() {
    let pki = TestPki::generate();
    let receiver = HttpReceiver::start_tls(Behaviour::Answer(200), pki.server_config(true));
    let mut config = http_config(&receiver.url);
    config.http_output.ca_cert = pki.ca_pem.display().to_string();
    config.http_output.keep_alive = true;

    // Without a client certificate the server refuses the handshake.
    let outputs = Outputs::new(&config).expect("outputs");
    outputs.send(alert(0, Priority::Alert, true));
    let http = outputs
        .shutdown(Duration::from_secs(10))
        .stats
        .get("http")
        .cloned()
        .expect("http");
    assert_eq!((http.delivered, http.failed), (0, 1));
    wait_for(
        "the server to see the failed handshake",
        Duration::from_secs(10),
        || receiver.tls_failures() >= 1,
    );
    assert_eq!(receiver.count(), 0);

    config.http_output.mtls = true;
    config.http_output.client_cert = pki.client_cert_pem.display().to_string();
    config.http_output.client_key = pki.client_key_pem.display().to_string();
    check_every_json_body(&config, &receiver);
}

#[test]
fn unreadable_tls_files_are_startup_errors_listed_together() {
    let mut config = http_config("https://127.0.0.1:1/");
    config.http_output.ca_cert = "/nonexistent/ca.pem".into();
    config.http_output.mtls = true;
    config.http_output.client_cert = "/nonexistent/client.crt".into();
    config.http_output.client_key = "/nonexistent/client.key".into();
    match Outputs::new(&config) {
        Err(OutputsError::Config(errors)) => {
            let keys: Vec<_> = errors.iter().map(|e| e.key).collect();
            assert_eq!(
                keys,
                [
                    "http_output.ca_cert",
                    "http_output.client_cert",
                    "http_output.client_key"
                ]
            );
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("missing files must be reported"),
    }
}
