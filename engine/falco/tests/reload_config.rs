//! Issue #21 item 13: a reload (SIGHUP) applies the whole falco.yaml while events keep
//! arriving, not only the rules. The capture is fed through a FIFO; between its parts the
//! configuration is rewritten and the engine reloaded while it is busy.
//!
//! - `outputs_added_changed_and_removed_under_load_lose_nothing`: file, program, http and
//!   webhook (a chat output) outputs are added, changed (another file, program, URL;
//!   `json_output` on) and removed, with a catch-all rule: stdout, kept throughout, gets every alert once and in order, and
//!   each other output gets one unbroken run of them, its changed form the next run.
//! - `each_key_changed_by_a_reload_changes_the_behaviour`: the table over the other keys
//!   (`log_level`, `metrics`, `syscall_event_drops`, `engine.evaluators`, `priority`, the
//!   formats, the rules selection, the output settings, and the keys that need a restart,
//!   warned); `watched_files_follow_the_reloaded_configuration`: `watch_config_files` with
//!   `rules_files`. The live driver reopened is in `ebpf_engine.rs`.

mod replay_common;

use replay_common::{fifo, lines_of, wait_for};

use falco_scap::flate2::read::GzDecoder;
use falco_scap::CaptureReader;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every event alerts once, with its number, so each output's alerts can be lined up.
const CATCH_ALL: &str = r#"- rule: every event
  desc: one alert per event
  condition: evt.num > 0
  output: "RELOADTEST %evt.num %evt.type"
  priority: WARNING
"#;

/// A rule that never alerts, kept by `priority: error`: a reload that enables no rule is
/// refused.
const ERROR_RULE: &str = r#"- rule: error level
  desc: never alerts
  condition: evt.type = ptrace and proc.name = no-such-process-here
  output: "ERRORLEVEL %proc.name"
  priority: ERROR
"#;

/// A second catch-all rule, after the first: it alerts only with `rule_matching: all`.
const SECOND_RULE: &str = r#"- rule: second
  desc: the same events
  condition: evt.num > 0
  output: "RELOADSECOND %evt.num"
  priority: WARNING
"#;

/// The first `parts * per_part` events of the busy capture, decompressed, and the stream
/// offsets where its parts begin (the first part includes the header blocks).
fn capture_parts(parts: usize, per_part: usize) -> (Vec<u8>, Vec<usize>) {
    let mut plain = Vec::new();
    GzDecoder::new(std::fs::File::open(falco_testdata::capture("busy_server")).expect("capture"))
        .read_to_end(&mut plain)
        .expect("gunzip");
    let mut reader =
        CaptureReader::from_reader(std::io::Cursor::new(plain.clone())).expect("reads");
    let mut cuts = vec![0];
    let mut n = 0usize;
    while let Some(ev) = reader.next_event().expect("event") {
        n += 1;
        if n.is_multiple_of(per_part) {
            cuts.push(ev.offset as usize);
            if cuts.len() == parts + 1 {
                break;
            }
        }
    }
    assert_eq!(cuts.len(), parts + 1, "the capture has enough events");
    let end = cuts[parts];
    plain.truncate(end);
    (plain, cuts)
}

/// An engine replaying a FIFO, with its output lines.
struct Engine {
    child: Child,
    writer: std::fs::File,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    errs: Vec<String>,
    /// Stdout lines already taken from `stdout`.
    out: Vec<String>,
}

impl Engine {
    /// `falco -c cfg` replaying a FIFO; `engine.kind` comes from the file when `kind_in_file`
    /// (so that a reload can change it), else from `-o engine.kind=replay`.
    fn start(dir: &Path, cfg: &Path, kind_in_file: bool) -> Engine {
        let fifo = fifo(dir, "capture.fifo");
        let mut cmd = if kind_in_file {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_falco"));
            c.arg("-c")
                .arg(cfg)
                .arg("-o")
                .arg(format!("engine.replay.capture_file={}", fifo.display()));
            c
        } else {
            replay_common::replay(cfg, &fifo)
        };
        let mut child = cmd
            .env("TZ", "UTC")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("falco starts");
        let stdout = lines_of(child.stdout.take().expect("stdout"));
        let stderr = lines_of(child.stderr.take().expect("stderr"));
        let writer = std::fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .expect("open fifo");
        Engine {
            child,
            writer,
            stdout,
            stderr,
            errs: Vec::new(),
            out: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("feed");
        self.writer.flush().expect("flush");
    }

    fn sighup(&self) {
        // SAFETY: signalling our own child.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGHUP) },
            0
        );
    }

    /// Waits until stdout has been quiet for 2 s: the engine has written the alerts of what it
    /// was fed (but the last, partial batch the reader holds).
    fn settle(&mut self) {
        while let Ok(l) = self.stdout.recv_timeout(Duration::from_secs(2)) {
            self.out.push(l);
        }
    }

    fn wait_log(&mut self, needle: &str) {
        wait_for(&self.stderr, needle, &mut self.errs);
    }

    /// Closes the capture and waits for the end: (exit status, stdout lines, stderr lines).
    fn finish(mut self) -> (std::process::ExitStatus, Vec<String>, Vec<String>) {
        drop(self.writer);
        let status = self.child.wait().expect("exits");
        self.errs.extend(self.stderr.iter());
        self.out.extend(self.stdout.iter());
        (status, self.out, self.errs)
    }
}

/// The event number of an alert line (text or JSON).
fn num_of(line: &str) -> Option<u64> {
    let rest = &line[line.find("RELOADTEST ")? + "RELOADTEST ".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn nums_in(text: &str) -> Vec<u64> {
    text.lines().filter_map(num_of).collect()
}

/// An HTTP endpoint on 127.0.0.1 answering 200 to every POST, keeping the bodies.
fn http_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut out = conn.try_clone().expect("clone");
                let mut r = BufReader::new(conn);
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = l.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                len = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0u8; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    kept.lock()
                        .expect("bodies")
                        .push(String::from_utf8_lossy(&body).into_owned());
                    if out
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, bodies)
}

/// Asserts that `runs`, in order, are unbroken runs of `all` that follow each other: each
/// output and its changed form missed no alert between their first and last.
fn assert_runs_follow(all: &[u64], runs: &[(&str, Vec<u64>)]) {
    let mut next: Option<usize> = None;
    for (name, run) in runs {
        assert!(!run.is_empty(), "{name} got alerts");
        let start = all
            .iter()
            .position(|n| *n == run[0])
            .unwrap_or_else(|| panic!("{name}'s first alert {} is on stdout", run[0]));
        if let Some(expected) = next {
            assert_eq!(
                start, expected,
                "{name} starts right after the output it replaced"
            );
        }
        assert_eq!(
            &all[start..start + run.len()],
            &run[..],
            "{name} got an unbroken run of the alerts"
        );
        next = Some(start + run.len());
    }
    assert!(
        next.is_some_and(|n| n < all.len()),
        "alerts came after the last one was removed"
    );
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
}

#[test]
fn outputs_added_changed_and_removed_under_load_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let rules = d.join("rules.yaml");
    write(&rules, CATCH_ALL);
    let (plain, cuts) = capture_parts(7, 8000);
    let (url1, http1) = http_receiver();
    let (url2, http2) = http_receiver();
    let (hook1, chat1) = http_receiver();
    let (hook2, chat2) = http_receiver();
    // A chat output (the generic webhook), fast enough that no alert is summarised.
    let webhook = |url: &str| {
        format!(
            "webhook_output: {{enabled: true, webhook_url: \"{url}\", rate_limit: 1000000, \
             rate_burst: 1000000, body_template: \"{{{{output}}}}\", content_type: text/plain}}\n"
        )
    };
    let path = |n: &str| d.join(n).display().to_string();
    let base = format!(
        "rules_files: [{}]\nwatch_config_files: false\nstdout_output: {{enabled: true}}\n",
        rules.display()
    );
    let cfg = d.join("falco.yaml");
    let configs = [
        // Added: a file, a program and an http output.
        format!(
            "{base}file_output: {{enabled: true, filename: {}}}\n\
             program_output: {{enabled: true, program: \"cat >> {}\"}}\n\
             http_output: {{enabled: true, url: \"{url1}\", keep_alive: true}}\n{}",
            path("a.txt"),
            path("p1.txt"),
            webhook(&hook1)
        ),
        // Changed: another file, program and URL; JSON alerts.
        format!(
            "{base}json_output: true\nfile_output: {{enabled: true, filename: {}}}\n\
             program_output: {{enabled: true, program: \"cat >> {}\"}}\n\
             http_output: {{enabled: true, url: \"{url2}\", keep_alive: true}}\n{}",
            path("b.txt"),
            path("p2.txt"),
            webhook(&hook2)
        ),
        // Removed, and text alerts again.
        base.clone(),
    ];
    write(&cfg, &base);
    let mut engine = Engine::start(d, &cfg, false);
    engine.feed(&plain[cuts[0]..cuts[1]]);
    for (k, text) in configs.iter().enumerate() {
        write(&cfg, text);
        engine.sighup();
        // The reload loads and swaps while this part is being read: under load.
        let part = 1 + 2 * k;
        engine.feed(&plain[cuts[part]..cuts[part + 1]]);
        engine.wait_log("reload: outputs rebuilt");
        engine.feed(&plain[cuts[part + 1]..cuts[part + 2]]);
        // The alerts of this part reach the outputs before the next reload changes them.
        engine.settle();
    }
    let (status, out, errs) = engine.finish();
    assert!(status.success(), "{status:?}: {errs:#?}");
    let stdout_text = out.join("\n");
    assert!(!stdout_text.contains("Alerts not delivered"), "{errs:#?}");
    // stdout, rebuilt three times, got every alert once and in order.
    let all = nums_in(&stdout_text);
    let detected: usize = out
        .iter()
        .find_map(|l| l.strip_prefix("Events detected: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("summary");
    assert_eq!(all.len(), detected, "every detected alert on stdout");
    // About 29.6 k since enter events stopped reaching the rules (issue #22): enough load.
    assert!(detected >= 25_000, "{detected}");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "stdout in event order");
    // json_output followed the reloads: JSON lines in the middle, text before and after.
    let json = out.iter().filter(|l| l.starts_with('{')).count();
    assert!(json > 0 && json < all.len(), "{json} JSON alerts");
    assert!(
        !out[0].starts_with('{')
            && out
                .iter()
                .rev()
                .any(|l| num_of(l).is_some() && !l.starts_with('{'))
    );
    let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap_or_default();
    assert_runs_follow(
        &all,
        &[
            ("file a.txt", nums_in(&read("a.txt"))),
            ("file b.txt", nums_in(&read("b.txt"))),
        ],
    );
    // Alerts formatted before the swap still reach the new file as text; those after are JSON.
    assert!(
        read("b.txt")
            .lines()
            .last()
            .is_some_and(|l| l.starts_with('{')),
        "b.txt ends with JSON alerts"
    );
    assert_runs_follow(
        &all,
        &[
            ("program 1", nums_in(&read("p1.txt"))),
            ("program 2", nums_in(&read("p2.txt"))),
        ],
    );
    let bodies = |b: &Arc<Mutex<Vec<String>>>| -> Vec<u64> {
        b.lock()
            .expect("bodies")
            .iter()
            .filter_map(|s| num_of(s))
            .collect()
    };
    assert_runs_follow(
        &all,
        &[("http 1", bodies(&http1)), ("http 2", bodies(&http2))],
    );
    assert_runs_follow(
        &all,
        &[("webhook 1", bodies(&chat1)), ("webhook 2", bodies(&chat2))],
    );
}

/// One configuration key's row: the configuration before and after, and how the engine shows
/// the change.
struct Row {
    key: &'static str,
    before: &'static str,
    after: &'static str,
    /// A log line (stderr) or alert line (stdout) that only the new value produces.
    shows: Shows,
}

enum Shows {
    /// On stderr after the reload.
    Log(&'static str),
    /// On stdout after the reload.
    Alert(&'static str),
    /// The number of `evaluator-*` threads becomes this.
    Evaluators(usize),
    /// No alert after the reload (the rule is filtered out).
    NoAlertAfter,
}

fn evaluator_threads(pid: u32) -> usize {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.starts_with("evaluator-"))
        })
        .count()
}

#[test]
fn each_key_changed_by_a_reload_changes_the_behaviour() {
    let rows = [
        Row {
            key: "log_level",
            before: "log_level: error\n",
            after: "log_level: info\n",
            shows: Shows::Log("reloaded:"),
        },
        Row {
            key: "metrics",
            before: "metrics: {enabled: false}\n",
            after: "metrics: {enabled: true, interval: 1s, output_rule: true}\n",
            shows: Shows::Alert("Falco metrics snapshot"),
        },
        Row {
            key: "syscall_event_drops",
            before: "syscall_event_drops: {actions: [log], simulate_drops: false}\n",
            after: "syscall_event_drops: {actions: [log], simulate_drops: true}\n",
            shows: Shows::Log("syscall event drop"),
        },
        Row {
            key: "engine.evaluators",
            before: "engine: {kind: replay, evaluators: 1}\n",
            after: "engine: {kind: replay, evaluators: 5}\n",
            shows: Shows::Evaluators(5),
        },
        Row {
            key: "engine.evaluators (fewer)",
            before: "engine: {kind: replay, evaluators: 4}\n",
            after: "engine: {kind: replay, evaluators: 2}\n",
            shows: Shows::Evaluators(2),
        },
        Row {
            key: "priority",
            before: "priority: debug\n",
            after: "priority: error\n",
            shows: Shows::NoAlertAfter,
        },
        Row {
            key: "time_format_iso_8601",
            before: "time_format_iso_8601: false\n",
            after: "time_format_iso_8601: true\n",
            shows: Shows::Alert("T"),
        },
        Row {
            key: "outputs_queue.capacity",
            before: "outputs_queue: {capacity: 100}\n",
            after: "outputs_queue: {capacity: 7}\n",
            shows: Shows::Log("reload: outputs rebuilt"),
        },
        Row {
            key: "rule_matching",
            before: "rule_matching: first\n",
            after: "rule_matching: all\n",
            shows: Shows::Alert("RELOADSECOND"),
        },
        Row {
            key: "rules (selection)",
            before: "",
            after: "rules:\n  - disable: {rule: every event}\n",
            shows: Shows::NoAlertAfter,
        },
        Row {
            key: "append_output",
            before: "",
            after:
                "append_output:\n  - match: {rule: every event}\n    extra_output: APPENDED-TEXT\n",
            shows: Shows::Alert("APPENDED-TEXT"),
        },
        Row {
            key: "json_output",
            before: "json_output: false\n",
            after: "json_output: true\njson_include_tags_property: true\n",
            shows: Shows::Alert("\"tags\":"),
        },
        Row {
            key: "buffered_outputs",
            before: "buffered_outputs: false\n",
            after: "buffered_outputs: true\n",
            shows: Shows::Log("reload: outputs rebuilt"),
        },
        Row {
            key: "output_timeout",
            before: "",
            after: "output_timeout: 500\n",
            shows: Shows::Log("reload: outputs rebuilt"),
        },
        Row {
            key: "container_engines",
            before: "",
            after: "container_engines:\n  docker: {enabled: false}\n",
            shows: Shows::Log("container_engines changed but cannot be applied"),
        },
        Row {
            key: "log_syslog",
            before: "",
            after: "log_syslog: true\n",
            shows: Shows::Log("log_stderr/log_syslog changed but cannot be applied"),
        },
        Row {
            key: "engine.kind",
            before: "engine: {kind: replay}\n",
            after: "engine: {kind: modern_ebpf}\n",
            shows: Shows::Log("engine.kind changed but cannot be applied"),
        },
        Row {
            key: "falco_libs.thread_table_size",
            before: "",
            after: "falco_libs: {thread_table_size: 1000}\n",
            shows: Shows::Log("falco_libs.thread_table_size changed but cannot be applied"),
        },
    ];
    let (plain, cuts) = capture_parts(2, 10_000);
    for row in &rows {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let rules = d.join("rules.yaml");
        write(&rules, &format!("{CATCH_ALL}{ERROR_RULE}{SECOND_RULE}"));
        let cfg = d.join("falco.yaml");
        let base = format!(
            "rules_files: [{}]\nwatch_config_files: false\nstdout_output: {{enabled: true}}\n",
            rules.display()
        );
        // The engine section is the row's when it has one.
        let config = |text: &str| {
            let engine = if text.contains("engine:") {
                ""
            } else {
                "engine: {kind: replay}\n"
            };
            format!("{base}{engine}{text}")
        };
        write(&cfg, &config(row.before));
        let mut engine = Engine::start(d, &cfg, true);
        engine.feed(&plain[cuts[0]..cuts[1]]);
        // The engine is running the first part: the new value is not in force yet.
        wait_for(&engine.stdout, "RELOADTEST", &mut Vec::new());
        let pid = engine.child.id();
        if let Shows::Evaluators(n) = row.shows {
            let before = evaluator_threads(pid);
            assert_ne!(before, n, "{}: before the reload", row.key);
        }
        write(&cfg, &config(row.after));
        engine.sighup();
        // When the log level hides "reloaded", the log line itself is the row's proof.
        let proof = match row.shows {
            Shows::Log(l) => l,
            _ => "reloaded:",
        };
        engine.wait_log(proof);
        match row.shows {
            Shows::Alert(needle) => {
                // The first alerts after the reload show the new value.
                engine.feed(&plain[cuts[1]..cuts[2]]);
                let mut seen = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(30);
                let hit = loop {
                    assert!(
                        Instant::now() < deadline,
                        "{}: no change: {seen:#?}",
                        row.key
                    );
                    let Ok(l) = engine.stdout.recv_timeout(Duration::from_millis(200)) else {
                        continue;
                    };
                    let found = if needle == "T" {
                        // An ISO 8601 time: 2019-...T12:34:56
                        l.get(10..11) == Some("T") && num_of(&l).is_some()
                    } else {
                        l.contains(needle)
                    };
                    seen.push(l);
                    if found {
                        break true;
                    }
                };
                assert!(hit);
            }
            Shows::Evaluators(n) => {
                let deadline = Instant::now() + Duration::from_secs(10);
                while evaluator_threads(pid) != n && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
                assert_eq!(evaluator_threads(pid), n, "{}", row.key);
                engine.feed(&plain[cuts[1]..cuts[2]]);
            }
            Shows::NoAlertAfter => {
                // Drain what the first part raised, then the second part raises nothing.
                engine.settle();
                engine.out.clear();
                engine.feed(&plain[cuts[1]..cuts[2]]);
            }
            Shows::Log(_) => engine.feed(&plain[cuts[1]..cuts[2]]),
        }
        let (status, out, errs) = engine.finish();
        assert!(status.success(), "{}: {status:?} {errs:#?}", row.key);
        if let Shows::NoAlertAfter = row.shows {
            assert!(
                !out.iter().any(|l| num_of(l).is_some()),
                "{}: alerts after the reload: {out:#?}",
                row.key
            );
        }
    }
}

/// `watch_config_files` and `rules_files`, changed by a reload: a rules file added by the
/// reload is watched from then on (its edit reloads without a signal), and watching turned off
/// by a reload stops reloads on edits.
#[test]
fn watched_files_follow_the_reloaded_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let rules = d.join("rules.yaml");
    write(&rules, CATCH_ALL);
    let extra_dir = d.join("more");
    std::fs::create_dir(&extra_dir).expect("dir");
    let extra: PathBuf = extra_dir.join("extra.yaml");
    write(&extra, "- list: l\n  items: [a]\n");
    let (plain, cuts) = capture_parts(1, 10_000);
    let cfg = d.join("falco.yaml");
    let with = |files: &str, watch: bool| {
        format!("rules_files: [{files}]\nwatch_config_files: {watch}\nstdout_output: {{enabled: true}}\n")
    };
    write(&cfg, &with(&rules.display().to_string(), false));
    let mut engine = Engine::start(d, &cfg, false);
    engine.feed(&plain[cuts[0]..cuts[1]]);
    wait_for(&engine.stdout, "RELOADTEST", &mut Vec::new());
    // Watching on, and a rules file in another directory.
    write(
        &cfg,
        &with(&format!("{}, {}", rules.display(), extra.display()), true),
    );
    engine.sighup();
    engine.wait_log("reloaded:");
    // An edit of the new file reloads on its own.
    write(&extra, "- list: l\n  items: [a, b]\n");
    engine.wait_log("reload: loading");
    engine.wait_log("reloaded:");
    // Watching off, by an edit of the watched configuration (no signal).
    write(&cfg, &with(&rules.display().to_string(), false));
    engine.wait_log("reloaded:");
    // An edit no longer reloads.
    write(&extra, "- list: l\n  items: [a, b, c]\n");
    write(&rules, CATCH_ALL);
    std::thread::sleep(Duration::from_secs(1));
    let (status, _, errs) = engine.finish();
    assert!(status.success(), "{errs:#?}");
    let reloads = errs
        .iter()
        .filter(|l| l.contains("reload: loading"))
        .count();
    assert_eq!(reloads, 3, "one SIGHUP and two edits: {errs:#?}");
}
