//! The built-in web UI (`webserver.ui`) against a running engine replaying a bundled capture:
//! in a real headless Chromium (the list, a priority filter, the detail, the charts' counts,
//! an alert raised live, markup in an output shown as text), and over plain HTTP (credentials,
//! security headers, the refusal to start off loopback without credentials). Screenshots go
//! to `target/ui-screenshots/`.

mod browser;
mod web_common;

use browser::{screenshot_dir, Browser};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use web_common::{capture_bytes, free_port, tempdir, wait_for, Falco, REPO};

/// Rules that raise Notice, Error and Critical alerts on the `sensitive_reads` capture; the
/// Critical one's output is markup the page must show as text.
const RULES: &str = r#"
- rule: UI etc open
  desc: a file under /etc opened
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name startswith /etc/
  output: "file under /etc opened (file=%fd.name proc=%proc.name)"
  priority: NOTICE
  tags: [filesystem, ui_test]
- rule: UI shadow read
  desc: /etc/shadow opened
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = /etc/shadow
  output: "sensitive file opened (file=%fd.name proc=%proc.name user=%user.name)"
  priority: ERROR
  tags: [sensitive, ui_test]
- rule: UI markup in output
  desc: an output carrying markup
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = /etc/shadow
  output: "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> file=%fd.name"
  priority: CRITICAL
  tags: [xss]
"#;

/// The falco.yaml of a replay of `dir/capture.fifo` with the UI on `port`; `ui` is added under
/// `webserver.ui` (indented by four spaces).
fn config(dir: &Path, port: u16, address: &str, ui: &str) -> String {
    let rules = dir.join("ui_rules.yaml");
    std::fs::write(&rules, RULES).expect("rules");
    format!(
        "rules_files: [{}]\n\
         json_output: true\n\
         rule_matching: all\n\
         stdout_output: {{enabled: false}}\n\
         file_output: {{enabled: true, filename: {}}}\n\
         engine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
         webserver:\n  enabled: true\n  listen_address: {address}\n  listen_port: {port}\n  \
         threadiness: 2\n  ui:\n    enabled: true\n{ui}",
        rules.display(),
        dir.join("alerts.json").display(),
        dir.join("capture.fifo").display(),
    )
}

/// Writes `first` into a new FIFO at `path`, then `second` when told, then holds it open
/// until told again (the replay ends when it closes).
fn feed(path: &Path, first: Vec<u8>, second: Vec<u8>) -> mpsc::Sender<()> {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(st.success());
    let (tx, rx) = mpsc::channel::<()>();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) else {
            return;
        };
        if f.write_all(&first).is_err() || rx.recv().is_err() {
            return;
        }
        let _ = f.write_all(&second);
        let _ = rx.recv();
    });
    tx
}

/// The rule alerts in the JSON alerts file: (rule, priority) → count.
fn file_alerts(dir: &Path) -> BTreeMap<(String, String), u64> {
    let mut m = BTreeMap::new();
    let text = std::fs::read_to_string(dir.join("alerts.json")).unwrap_or_default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v["source"] == "internal" {
            continue;
        }
        let key = (
            v["rule"].as_str().unwrap_or("").to_string(),
            v["priority"].as_str().unwrap_or("").to_string(),
        );
        *m.entry(key).or_default() += 1;
    }
    m
}

/// Waits until the alerts file stops growing for a second; its counts.
fn settled(dir: &Path) -> BTreeMap<(String, String), u64> {
    let mut last = file_alerts(dir);
    let mut still = 0;
    for _ in 0..300 {
        std::thread::sleep(Duration::from_millis(100));
        let now = file_alerts(dir);
        if now == last && !now.is_empty() {
            still += 1;
            if still >= 10 {
                return now;
            }
        } else {
            still = 0;
            last = now;
        }
    }
    panic!("the alerts file never settled: {last:?}");
}

fn total(m: &BTreeMap<(String, String), u64>) -> u64 {
    m.values().sum()
}

/// One GET with extra header lines: status, header block and body.
fn request(port: u16, path: &str, headers: &str) -> (u16, String, String) {
    try_request(port, path, headers).unwrap_or_else(|| panic!("no answer to {path}"))
}

/// [`request`], or `None` when the server does not answer (yet).
fn try_request(port: u16, path: &str, headers: &str) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    // An event stream never ends: what came within the timeout is enough.
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.get(9..12).and_then(|c| c.parse().ok())?;
    Some((status, head.to_ascii_lowercase(), body.to_string()))
}

#[test]
fn ui_in_headless_chromium_lists_filters_charts_and_follows_live_alerts() {
    let dir = tempdir();
    let d = dir.path();
    let port = free_port();
    let capture = capture_bytes("sensitive_reads");
    let half = capture.len() / 2;
    let go = feed(
        &d.join("capture.fifo"),
        capture[..half].to_vec(),
        capture[half..].to_vec(),
    );
    let falco = Falco::start(d, &config(d, port, "127.0.0.1", ""), &[]);
    let first = settled(d);
    let n1 = total(&first);
    let base = format!("http://127.0.0.1:{port}/ui/");
    let stored = wait_for(Duration::from_secs(10), || {
        let (_, _, body) = request(port, "/ui/api/alerts", "");
        let v: Value = serde_json::from_str(&body).ok()?;
        let alerts = v["alerts"].as_array()?.clone();
        let rules = alerts.iter().filter(|a| a["source"] != "internal").count() as u64;
        (rules == n1).then_some(alerts)
    })
    .unwrap_or_else(|| panic!("the store never held the {n1} alerts: {}", falco.err()));

    let shots = screenshot_dir();
    let mut b = Browser::start(Path::new(env!("CARGO_TARGET_TMPDIR")));
    b.open(&base);
    let loaded = b
        .wait_true(
            &format!("document.body.dataset.loaded === 'true' && Number(document.body.dataset.total) === {}", stored.len()),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|| panic!("the page never showed the {} stored alerts", stored.len()));
    println!("page loaded {} alerts in {loaded:?}", stored.len());
    b.screenshot(&shots.join("1-dashboard.png"));

    // The charts' counts are the alerts' counts, per priority and per rule.
    let by_priority = b.eval(
        "(() => { const m = {}; for (const r of document.querySelectorAll('#time-chart rect.bar')) m[r.dataset.priority] = (m[r.dataset.priority] || 0) + Number(r.dataset.count); return m; })()",
    );
    let by_rule = b.eval(
        "(() => { const m = {}; for (const r of document.querySelectorAll('#rule-chart rect.rule-bar')) m[r.dataset.rule] = Number(r.dataset.count); return m; })()",
    );
    let mut want_priority: BTreeMap<String, u64> = BTreeMap::new();
    let mut want_rule: BTreeMap<String, u64> = BTreeMap::new();
    for a in &stored {
        let p = a["priority"].as_str().unwrap_or("").to_ascii_lowercase();
        *want_priority.entry(p).or_default() += 1;
        *want_rule
            .entry(a["rule"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let got_priority: BTreeMap<String, u64> =
        serde_json::from_value(by_priority).expect("priority counts");
    let got_rule: BTreeMap<String, u64> = serde_json::from_value(by_rule).expect("rule counts");
    assert_eq!(got_priority, want_priority, "time chart vs alerts");
    assert_eq!(got_rule, want_rule, "rule chart vs alerts");
    for ((rule, _), n) in &first {
        assert_eq!(
            want_rule.get(rule),
            Some(n),
            "store vs alerts file for {rule}"
        );
    }
    assert!(
        want_priority.len() >= 3,
        "the capture should raise alerts of three priorities: {want_priority:?}"
    );

    // The list, newest first.
    b.click("#tab-events");
    b.wait_true(
        "document.querySelectorAll('#rows tr.row').length > 0",
        Duration::from_secs(5),
    )
    .expect("rows");
    let first_row_id = b.eval("Number(document.querySelector('#rows tr.row').dataset.id)");
    let newest = stored.iter().filter_map(|a| a["id"].as_u64()).max();
    assert_eq!(first_row_id.as_u64(), newest, "newest first");
    let rows = b
        .eval("document.querySelectorAll('#rows tr.row').length")
        .as_u64();
    assert_eq!(rows, Some((stored.len() as u64).min(50)));
    b.screenshot(&shots.join("2-events.png"));

    // Markup in an output is text: shown, never run.
    assert_eq!(b.eval("window.__pwned === undefined"), Value::Bool(true));
    assert_eq!(b.eval("document.scripts.length"), Value::from(1));
    assert_eq!(
        b.eval("document.querySelectorAll('#rows img, #rows script').length"),
        Value::from(0)
    );
    assert_eq!(
        b.eval("[...document.querySelectorAll('#rows .output-cell .text')].some(e => e.textContent.includes('<script>window.__pwned=1</script><img src=x'))"),
        Value::Bool(true),
        "the markup is shown as text"
    );

    // Clicking a priority narrows the list to it.
    let errors = want_priority.get("error").copied().unwrap_or(0);
    assert!(errors > 0);
    b.click("#priorities button[data-priority='Error']");
    b.wait_true(
        &format!("Number(document.body.dataset.shown) === {errors}"),
        Duration::from_secs(5),
    )
    .unwrap_or_else(|| panic!("the Error filter never showed {errors} alerts"));
    assert_eq!(
        b.eval("[...document.querySelectorAll('#rows tr.row')].every(r => r.dataset.priority === 'Error')"),
        Value::Bool(true)
    );
    assert_eq!(
        b.eval("document.querySelectorAll('#rows tr.row').length")
            .as_u64(),
        Some(errors.min(50))
    );
    b.screenshot(&shots.join("3-filtered-error.png"));

    // Text search and the rule filter narrow it too; "Clear filters" brings everything back.
    b.click("#priorities button[data-priority='Error']");
    let with_shadow = stored
        .iter()
        .filter(|a| {
            let mut text = format!("{} {}", a["output"], a["rule"]);
            for (k, v) in a["output_fields"].as_object().into_iter().flatten() {
                text.push_str(&format!(" {k}={v}"));
            }
            text.to_lowercase().contains("gshadow")
        })
        .count();
    assert!(with_shadow > 0 && with_shadow < stored.len());
    b.click("#f-search");
    b.call("Input.insertText", serde_json::json!({"text": "GShadow"}));
    b.wait_true(
        &format!("Number(document.body.dataset.shown) === {with_shadow}"),
        Duration::from_secs(5),
    )
    .unwrap_or_else(|| panic!("the search never showed {with_shadow} alerts"));
    b.click("#f-clear");
    let markup = want_rule.get("UI markup in output").copied().unwrap_or(0);
    b.eval("(() => { const s = document.getElementById('f-rule'); s.value = 'UI markup in output'; s.dispatchEvent(new Event('change')); })()");
    b.wait_true(
        &format!("Number(document.body.dataset.shown) === {markup}"),
        Duration::from_secs(5),
    )
    .expect("the rule filter narrows the list");
    b.click("#f-clear");
    b.wait_true(
        &format!("Number(document.body.dataset.shown) === {}", stored.len()),
        Duration::from_secs(5),
    )
    .expect("filters cleared");
    b.click("#priorities button[data-priority='Error']");

    // The detail shows every output field.
    let id = b.eval("Number(document.querySelector('#rows tr.row').dataset.id)");
    let alert = stored
        .iter()
        .find(|a| a["id"] == id)
        .expect("the row's alert");
    let fields = alert["output_fields"].as_object().expect("output_fields");
    b.click("#rows tr.row .rule");
    b.wait_true(
        "!document.getElementById('detail').hidden",
        Duration::from_secs(5),
    )
    .expect("detail opens");
    let shown: BTreeMap<String, String> = serde_json::from_value(b.eval(
        "Object.fromEntries([...document.querySelectorAll('#detail-fields tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent]))",
    ))
    .expect("detail fields");
    for (k, v) in fields {
        let want = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(shown.get(k), Some(&want), "field {k}");
    }
    assert_eq!(
        b.eval("document.getElementById('detail-rule').textContent"),
        alert["rule"]
    );
    b.screenshot(&shots.join("4-detail.png"));
    b.click("#detail-close");
    b.click("#priorities button[data-priority='Error']");
    b.wait_true(
        &format!("Number(document.body.dataset.shown) === {}", stored.len()),
        Duration::from_secs(5),
    )
    .expect("filter cleared");

    // An alert raised now appears without a reload.
    b.eval("window.__marker = 42");
    let before = stored.len();
    go.send(()).expect("feed");
    let latency = b
        .wait_true(
            &format!("Number(document.body.dataset.total) > {before}"),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|| panic!("no live alert appeared: {}", falco.err()));
    println!("live alert shown {latency:?} after the capture's second half was written");
    let all = settled(d);
    let n2 = total(&all);
    assert!(n2 > n1, "the second half raises alerts too");
    b.wait_true(
        &format!("Number(document.body.dataset.total) === {n2}"),
        Duration::from_secs(10),
    )
    .unwrap_or_else(|| panic!("the page never reached {n2} alerts"));
    assert_eq!(b.eval("window.__marker"), Value::from(42), "no reload");
    b.screenshot(&shots.join("5-live.png"));
    drop(b);
    drop(go);
    drop(falco);
}

#[test]
fn ui_off_loopback_without_credentials_refuses_to_start() {
    let dir = tempdir();
    let d = dir.path();
    let port = free_port();
    let run = |cfg: &str| {
        std::fs::write(d.join("falco.yaml"), cfg).expect("config");
        std::process::Command::new(env!("CARGO_BIN_EXE_falco"))
            .arg("-c")
            .arg(d.join("falco.yaml"))
            .arg("--dry-run")
            .output()
            .expect("run falco")
    };
    let out = run(&config(d, port, "0.0.0.0", ""));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for key in [
        "webserver.ui.token",
        "webserver.ui.basic_auth.username",
        "webserver.listen_address",
        "0.0.0.0",
    ] {
        assert!(err.contains(key), "the error names {key}: {err}");
    }
    // The real start refuses the same way, before serving anything.
    let mut falco = Falco::start(d, &config(d, port, "0.0.0.0", ""), &[]);
    assert_eq!(falco.wait_exit(Duration::from_secs(20)), Some(1));
    assert!(
        falco.err().contains("webserver.ui.token"),
        "{}",
        falco.err()
    );
    // Credentials, or a loopback address, make the same configuration valid.
    let out = run(&config(d, port, "0.0.0.0", "    token: s3cret-token\n"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&config(
        d,
        port,
        "0.0.0.0",
        "    basic_auth: {username: admin, password: s3cret}\n",
    ));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&config(d, port, "127.0.0.1", ""));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&config(
        d,
        port,
        "0.0.0.0",
        "    basic_auth: {username: admin}\n",
    ));
    assert_eq!(out.status.code(), Some(1));
}

/// Checks the security headers of a UI answer.
fn assert_secure(head: &str, what: &str) {
    for h in [
        "content-security-policy: default-src 'none'; script-src 'self';",
        "frame-ancestors 'none'",
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "referrer-policy: no-referrer",
    ] {
        assert!(head.contains(h), "{what}: no `{h}` in\n{head}");
    }
    assert!(!head.contains("unsafe-inline"), "{what}: {head}");
}

#[test]
fn ui_with_credentials_answers_401_and_no_data_without_them() {
    let dir = tempdir();
    let d = dir.path();
    let capture = capture_bytes("sensitive_reads");
    for (ui, good, bad) in [
        (
            "    token: s3cret-token\n",
            "Authorization: Bearer s3cret-token\r\n",
            "Authorization: Bearer wrong\r\n",
        ),
        (
            // admin:s3cret
            "    basic_auth: {username: admin, password: s3cret}\n",
            "Authorization: Basic YWRtaW46czNjcmV0\r\n",
            "Authorization: Basic YWRtaW46d3Jvbmc=\r\n",
        ),
    ] {
        let sub = tempfile::Builder::new().tempdir_in(d).expect("dir");
        let s = sub.path();
        let port = free_port();
        let go = feed(&s.join("capture.fifo"), capture.clone(), Vec::new());
        let falco = Falco::start(s, &config(s, port, "127.0.0.1", ui), &[]);
        let n = total(&settled(s));
        let (status, _, body) = request(port, "/ui/api/alerts", good);
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("JSON");
        assert!(v["alerts"].as_array().map_or(0, Vec::len) as u64 >= n);
        assert_eq!(v["max_alerts"], 10_000);
        assert_eq!(
            v["shed"], 0,
            "a replay waits for the store rather than shed"
        );
        for path in ["/ui/api/alerts", "/ui/api/stream", "/ui/api/stream?after=0"] {
            for headers in ["", bad, "Cookie: falco_ui_token=wrong\r\n"] {
                let (status, head, body) = request(port, path, headers);
                assert_eq!(status, 401, "{path} with {headers:?}: {body}");
                assert!(!body.contains("UI "), "no alert data: {body}");
                assert!(head.contains("www-authenticate:"), "{head}");
                assert_secure(&head, path);
            }
        }
        let (status, head, body) = request(port, "/ui/api/stream", good);
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/event-stream"), "{head}");
        assert!(
            body.contains("data: {"),
            "the stream sends the stored alerts: {body}"
        );
        let (status, head, page) = request(port, "/ui/", "");
        if ui.contains("token") {
            // The page itself holds no alert: it asks for the token.
            assert_eq!(status, 200);
            assert!(page.contains("id=\"login\""));
            let (status, _, _) = request(
                port,
                "/ui/api/alerts",
                "Cookie: other=1; falco_ui_token=s3cret%2Dtoken\r\n",
            );
            assert_eq!(status, 200, "the page's cookie is accepted");
        } else {
            assert_eq!(status, 401, "basic auth protects the page too");
        }
        assert_secure(&head, "/ui/");
        let (status, head, _) = request(port, "/ui/app.js", good);
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/javascript"), "{head}");
        drop(go);
        drop(falco);
    }
    let _ = REPO;
}

#[test]
fn ui_keys_are_read_and_checked_with_their_position() {
    use falco::config;
    let ok = |text: &str| config::load_str("t.yaml", text, &[]).expect("valid");
    let err = |text: &str| {
        config::load_str("t.yaml", text, &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| panic!("accepted: {text}"))
    };
    let ui =
        ok("webserver:\n  enabled: true\n  listen_address: 127.0.0.1\n  ui:\n    enabled: true\n")
            .config
            .webserver
            .ui;
    assert!(ui.enabled);
    assert_eq!(ui.max_alerts, 10_000);
    assert!(!ui.load_file_output);
    assert!(ui.token.is_empty() && ui.basic_auth.is_none());
    let ui = ok("webserver:\n  enabled: true\n  listen_address: '::1'\n  ui: {enabled: true, max_alerts: 5, load_file_output: true, basic_auth: {username: a, password: b}}\n")
        .config
        .webserver
        .ui;
    assert_eq!(ui.max_alerts, 5);
    assert!(ui.load_file_output);
    assert_eq!(ui.basic_auth, Some(("a".into(), "b".into())));
    let e =
        err("webserver:\n  enabled: true\n  listen_address: 10.0.0.1\n  ui:\n    enabled: true\n");
    assert!(
        e.contains("t.yaml:5:14: `webserver.ui.enabled` on the non-loopback address `10.0.0.1`"),
        "{e}"
    );
    let e = err("webserver:\n  ui:\n    max_alerts: 0\n");
    assert!(
        e.contains("`webserver.ui.max_alerts` must be between 1 and 1000000"),
        "{e}"
    );
    let e = err("webserver:\n  ui:\n    basic_auth: {username: 'a:b', password: c}\n");
    assert!(e.contains("must not contain `:`"), "{e}");
    // Not served without the webserver: a warning, and no credentials needed.
    let loaded = ok("webserver:\n  enabled: false\n  ui:\n    enabled: true\n");
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("needs `webserver.enabled: true`")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn ui_history_survives_a_restart_through_the_json_alerts_file() {
    let dir = tempdir();
    let d = dir.path();
    let ui = "    load_file_output: true\n    max_alerts: 15\n";
    // First run: the whole capture, then the FIFO closes and the replay ends.
    let port = free_port();
    let go = feed(
        &d.join("capture.fifo"),
        capture_bytes("sensitive_reads"),
        Vec::new(),
    );
    let mut falco = Falco::start(d, &config(d, port, "127.0.0.1", ui), &[]);
    let n = total(&settled(d));
    drop(go);
    assert_eq!(
        falco.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        falco.err()
    );
    assert!(n > 15, "more alerts than the store keeps: {n}");
    let lines: Vec<Value> = std::fs::read_to_string(d.join("alerts.json"))
        .expect("alerts file")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    // Second run: nothing replayed yet, the list is the last 15 alerts of the file.
    std::fs::remove_file(d.join("capture.fifo")).expect("old fifo");
    let port = free_port();
    let go = feed(&d.join("capture.fifo"), Vec::new(), Vec::new());
    let falco = Falco::start(d, &config(d, port, "127.0.0.1", ui), &[]);
    let body = wait_for(Duration::from_secs(20), || {
        try_request(port, "/ui/api/alerts", "")
            .filter(|r| r.0 == 200)
            .map(|r| r.2)
    })
    .unwrap_or_else(|| panic!("no UI: {}", falco.err()));
    let v: Value = serde_json::from_str(&body).expect("JSON");
    let kept = v["alerts"].as_array().expect("alerts");
    assert_eq!(kept.len(), 15);
    for (got, want) in kept.iter().zip(&lines[lines.len() - 15..]) {
        assert_eq!(got["rule"], want["rule"]);
        assert_eq!(got["time"], want["time"]);
        assert_eq!(got["output"], want["output"]);
    }
    drop(go);
    drop(falco);
}

#[test]
fn ui_with_text_alerts_has_their_fields_and_keeps_its_store_across_a_reload() {
    let dir = tempdir();
    let d = dir.path();
    let port = free_port();
    let go = feed(
        &d.join("capture.fifo"),
        capture_bytes("sensitive_reads"),
        Vec::new(),
    );
    let text_config = |ui: &str| {
        config(d, port, "127.0.0.1", ui).replace("json_output: true", "json_output: false")
    };
    let falco = Falco::start(d, &text_config(""), &[]);
    let lines = wait_for(Duration::from_secs(30), || {
        let text = std::fs::read_to_string(d.join("alerts.json")).ok()?;
        (text.lines().count() >= 20).then_some(text)
    })
    .unwrap_or_else(|| panic!("no alerts: {}", falco.err()));
    assert!(!lines.starts_with('{'), "text alerts: {lines}");
    let alerts = wait_for(Duration::from_secs(10), || {
        let (_, _, body) = try_request(port, "/ui/api/alerts", "")?;
        let v: Value = serde_json::from_str(&body).ok()?;
        let a = v["alerts"].as_array()?.clone();
        (a.len() >= 20).then_some(a)
    })
    .expect("the store's alerts");
    let shadow = alerts
        .iter()
        .find(|a| a["rule"] == "UI shadow read")
        .expect("the shadow alert");
    assert_eq!(
        shadow["output_fields"]["fd.name"], "/etc/shadow",
        "{shadow}"
    );
    assert_eq!(shadow["output_fields"]["proc.name"], "cat", "{shadow}");
    assert!(
        shadow["output"]
            .as_str()
            .is_some_and(|o| o.contains("Error sensitive file opened")),
        "{shadow}"
    );
    // A reload that adds a token restarts the webserver over the same store.
    std::fs::write(d.join("falco.yaml"), text_config("    token: t0ken\n")).expect("config");
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe {
        libc::kill(falco.child.id() as libc::pid_t, libc::SIGHUP);
    }
    let locked = wait_for(Duration::from_secs(20), || {
        try_request(port, "/ui/api/alerts", "").filter(|r| r.0 == 401)
    });
    assert!(
        locked.is_some(),
        "the reload's token is required: {}",
        falco.err()
    );
    let (status, _, body) = request(port, "/ui/api/alerts", "Authorization: Bearer t0ken\r\n");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["alerts"].as_array().map(Vec::len), Some(alerts.len()));
    drop(go);
    drop(falco);
}

#[test]
fn ui_token_login_in_the_browser_then_live_alerts_through_the_cookie() {
    let dir = tempdir();
    let d = dir.path();
    let port = free_port();
    let capture = capture_bytes("sensitive_reads");
    let half = capture.len() / 2;
    let go = feed(
        &d.join("capture.fifo"),
        capture[..half].to_vec(),
        capture[half..].to_vec(),
    );
    let falco = Falco::start(
        d,
        &config(d, port, "127.0.0.1", "    token: 'p@ss word;1'\n"),
        &[],
    );
    let n1 = total(&settled(d));
    let mut b = Browser::start(Path::new(env!("CARGO_TARGET_TMPDIR")));
    b.open(&format!("http://127.0.0.1:{port}/ui/"));
    b.wait_true(
        "!document.getElementById('login').hidden && document.getElementById('app').hidden",
        Duration::from_secs(10),
    )
    .expect("the page asks for the token");
    assert_eq!(
        b.eval("Number(document.body.dataset.total || 0)"),
        Value::from(0)
    );
    b.screenshot(&screenshot_dir().join("6-login.png"));
    b.click("#token");
    b.call(
        "Input.insertText",
        serde_json::json!({"text": "p@ss word;1"}),
    );
    b.click("#login button[type=submit]");
    b.wait_true(
        &format!("document.body.dataset.loaded === 'true' && Number(document.body.dataset.total) >= {n1}"),
        Duration::from_secs(10),
    )
    .unwrap_or_else(|| panic!("the token did not open the list: {}", falco.err()));
    go.send(()).expect("feed");
    let n2 = total(&settled(d));
    assert!(n2 > n1);
    b.wait_true(
        &format!("Number(document.body.dataset.total) >= {n2}"),
        Duration::from_secs(10),
    )
    .expect("live alerts reach the page through the cookie-authenticated stream");
    drop(b);
    drop(go);
    drop(falco);
}

#[test]
fn ui_container_and_pod_filters_in_the_browser() {
    let dir = tempdir();
    let d = dir.path();
    // A history of alerts from two pods' containers and the host, refilled at start.
    let mut lines = String::new();
    let places = [
        ("web-1", "frontend-7d9f", 3),
        ("db-0", "postgres-0", 2),
        ("host", "", 4),
    ];
    let mut n = 0;
    for (container, pod, count) in places {
        for _ in 0..count {
            n += 1;
            let fields = if pod.is_empty() {
                serde_json::json!({"container.id": "host", "container.name": "host", "proc.name": "sh"})
            } else {
                serde_json::json!({"container.id": format!("{container}-id"), "container.name": container, "k8s.pod.name": pod, "proc.name": "sh"})
            };
            lines.push_str(
                &serde_json::json!({
                    "hostname": "node-1", "output": format!("12:00:00.000000000: Notice shell {n}"),
                    "priority": "Notice", "rule": "Terminal shell in container", "source": "syscall",
                    "tags": ["container"], "time": format!("2026-12-07T12:00:{n:02}.000000000Z"),
                    "output_fields": fields,
                })
                .to_string(),
            );
            lines.push('\n');
        }
    }
    std::fs::write(d.join("alerts.json"), lines).expect("history");
    let port = free_port();
    let go = feed(&d.join("capture.fifo"), Vec::new(), Vec::new());
    let falco = Falco::start(
        d,
        &config(d, port, "127.0.0.1", "    load_file_output: true\n"),
        &[],
    );
    let mut b = Browser::start(Path::new(env!("CARGO_TARGET_TMPDIR")));
    wait_for(Duration::from_secs(20), || {
        try_request(port, "/ui/api/alerts", "").filter(|r| r.0 == 200)
    })
    .unwrap_or_else(|| panic!("no UI: {}", falco.err()));
    b.open(&format!("http://127.0.0.1:{port}/ui/"));
    b.wait_true(
        &format!("document.body.dataset.loaded === 'true' && Number(document.body.dataset.shown) === {n}"),
        Duration::from_secs(10),
    )
    .expect("the history is listed");
    let options = b.eval("[...document.getElementById('f-container').options].map(o => o.value)");
    assert_eq!(options, serde_json::json!(["", "db-0", "host", "web-1"]));
    let options = b.eval("[...document.getElementById('f-pod').options].map(o => o.value)");
    assert_eq!(
        options,
        serde_json::json!(["", "frontend-7d9f", "postgres-0"])
    );
    let choose = |b: &mut Browser, id: &str, value: &str| {
        b.eval(&format!(
            "(() => {{ const s = document.getElementById('{id}'); s.value = '{value}'; s.dispatchEvent(new Event('change')); }})()"
        ));
    };
    choose(&mut b, "f-container", "web-1");
    b.wait_true(
        "Number(document.body.dataset.shown) === 3",
        Duration::from_secs(5),
    )
    .expect("the container filter");
    choose(&mut b, "f-container", "");
    choose(&mut b, "f-pod", "postgres-0");
    b.wait_true(
        "Number(document.body.dataset.shown) === 2",
        Duration::from_secs(5),
    )
    .expect("the pod filter");
    b.click("#tab-events");
    b.wait_true(
        "[...document.querySelectorAll('#rows tr.row')].length === 2",
        Duration::from_secs(5),
    )
    .expect("the pod's two rows");
    b.screenshot(&screenshot_dir().join("7-pod-filter.png"));
    drop(b);
    drop(go);
    drop(falco);
}
