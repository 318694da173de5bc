//! Container identity in live alerts: real runtimes started here (dockerd, podman,
//! containerd's CRI), a named, labelled container from a locally built image, a shell exec'd
//! into it that reads /etc/shadow, and `falco` on the live eBPF driver with the default
//! rules and `append_output: [{suggested_output: true}]`. The alert of that container (found
//! by its container.id: a daemon's children cannot be filtered by our process tree) carries
//! what the runtime's own inspect answers, in its JSON fields and in its text.

#[path = "../../containers/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::cri::{Kubelet, PodSpec};
use common::*;

/// The engine on the live eBPF driver with `rules`, one runtime socket, JSON alerts on
/// stdout; returns once it captures.
struct Falco {
    child: Child,
    alerts: mpsc::Receiver<serde_json::Value>,
}

impl Falco {
    fn start(dir: &Path, rules: &Path, engine: &str, sock: &Path) -> Falco {
        Falco::start_with(dir, rules, &[(engine, sock)])
    }

    /// With every engine of `on` enabled on its socket, the others off.
    fn start_with(dir: &Path, rules: &Path, on: &[(&str, &Path)]) -> Falco {
        let mut engines = String::new();
        for k in ["docker", "podman", "containerd", "cri"] {
            match on.iter().find(|(e, _)| *e == k) {
                Some((_, sock)) => engines.push_str(&format!(
                    "        {k}: {{enabled: true, sockets: [{}]}}\n",
                    sock.display()
                )),
                None => engines.push_str(&format!("        {k}: {{enabled: false}}\n")),
            }
        }
        let cfg = format!(
            "rules_files: [{rules}]\njson_output: true\njson_include_output_property: true\n\
             stdout_output: {{enabled: true}}\nlog_stderr: true\nlog_level: info\n\
             engine: {{kind: modern_ebpf}}\nwatch_config_files: false\n\
             load_plugins: [container]\nplugins:\n  - name: container\n    library_path: libcontainer.so\n    init_config:\n      engines:\n{engines}\
             append_output:\n  - suggested_output: true\n  - match: {{source: syscall}}\n    extra_output: \"container_type=%container.type k8s_pod_uid=%k8s.pod.uid pod_app=%k8s.pod.label[app]\"\n",
            rules = rules.display(),
        );
        let cfg_path = dir.join("falco.yaml");
        std::fs::write(&cfg_path, cfg).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_falco"))
            .arg("-c")
            .arg(&cfg_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("falco");
        let (ready_tx, ready_rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("falco: {l}");
                if l.contains("capturing live events") {
                    let _ = ready_tx.send(());
                }
            }
        });
        let (tx, alerts) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&l) {
                    // When the alert reached us, for the latency figures.
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos() as u64)
                        .unwrap_or(0);
                    v["received_ns"] = now.into();
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("falco did not start capturing with modern_ebpf within 60 s");
        Falco { child, alerts }
    }

    /// The first alert whose fields satisfy `f`.
    /// The first alert within `secs` for which `f` holds, if any.
    fn try_alert_where(
        &self,
        secs: u64,
        f: impl Fn(&serde_json::Value) -> bool,
    ) -> Option<serde_json::Value> {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if let Ok(a) = self.alerts.recv_timeout(Duration::from_millis(200)) {
                if f(&a) {
                    return Some(a);
                }
            }
        }
        None
    }

    fn alert_where(
        &self,
        what: &str,
        secs: u64,
        f: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if let Ok(a) = self.alerts.recv_timeout(Duration::from_millis(200)) {
                if f(&a) {
                    return a;
                }
            }
        }
        panic!("no alert {what} in {secs} s");
    }

    /// The first alert of `rule` whose container.id is `id`.
    fn alert_of(&self, rule: &str, id: &str, secs: u64) -> serde_json::Value {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut seen = 0;
        while Instant::now() < end {
            if let Ok(a) = self.alerts.recv_timeout(Duration::from_millis(200)) {
                seen += 1;
                if a["rule"] == rule && a["output_fields"]["container.id"] == id {
                    return a;
                }
            }
        }
        panic!("no `{rule}` alert with container.id={id} in {secs} s ({seen} other alerts)");
    }
}

impl Drop for Falco {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

fn repo_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/falco_rules.yaml")
}

fn official_rules() -> PathBuf {
    falco_testdata::reference_path("rules/falco_rules.yaml")
}

/// What the runtime says, and what the alert must carry.
struct Expect<'a> {
    id: &'a str,
    name: &'a str,
    repo: &'a str,
    tag: &'a str,
    kind: &'a str,
}

fn check(a: &serde_json::Value, e: &Expect<'_>) {
    let f = &a["output_fields"];
    assert_eq!(f["container.id"], e.id, "{a}");
    assert_eq!(f["container.name"], e.name, "{a}");
    assert_eq!(f["container.image.repository"], e.repo, "{a}");
    assert_eq!(f["container.image.tag"], e.tag, "{a}");
    assert_eq!(f["container.type"], e.kind, "{a}");
    let text = a["output"].as_str().unwrap();
    for part in [
        format!("container_id={}", e.id),
        format!("container_name={}", e.name),
        format!("container_image_repository={}", e.repo),
        format!("container_image_tag={}", e.tag),
        format!("container_type={}", e.kind),
    ] {
        assert!(
            text.contains(&part),
            "`{part}` not in the alert text: {text}"
        );
    }
}

#[test]
fn docker_container_identity_in_official_rules_alerts() {
    require(&["dockerd", "docker", "tar"]);
    let s = Scratch::new("live-docker");
    let d = Docker::start(&s.0);
    d.import(&rootfs(&s.0), "localhost/fdock:1.0");
    let id = run(d
        .cli()
        .args(["run", "-d", "--name", "fct-web", "--label", "app=web"])
        .arg("localhost/fdock:1.0"));
    let falco = Falco::start(&s.0, &official_rules(), "docker", &d.sock);
    std::thread::sleep(Duration::from_secs(1));
    run(d
        .cli()
        .args(["exec", "fct-web", "sh", "-c", "cat /etc/shadow >/dev/null"]));
    let a = falco.alert_of("Read sensitive file untrusted", &id[..12], 30);
    let inspect = d.inspect(&id);
    let (repo, tag) = d.inspect("localhost/fdock:1.0")["RepoTags"][0]
        .as_str()
        .unwrap()
        .rsplit_once(':')
        .map(|(r, t)| (r.to_string(), t.to_string()))
        .unwrap();
    check(
        &a,
        &Expect {
            id: &inspect["Id"].as_str().unwrap()[..12],
            name: inspect["Name"].as_str().unwrap().trim_start_matches('/'),
            repo: &repo,
            tag: &tag,
            kind: "docker",
        },
    );
}

#[test]
fn podman_container_identity_in_default_rules_alerts() {
    require(&["podman", "runc", "tar"]);
    let s = Scratch::new("live-podman");
    let p = Podman::start(&s.0);
    p.import(&rootfs(&s.0), "localhost/fpod:2.0");
    let id = p.run_detached("fct-pod", &["app=db"], "localhost/fpod:2.0");
    let falco = Falco::start(&s.0, &repo_rules(), "podman", &p.sock);
    std::thread::sleep(Duration::from_secs(1));
    run(p
        .cli()
        .args(["exec", "fct-pod", "sh", "-c", "cat /etc/shadow >/dev/null"]));
    let a = falco.alert_of("Read sensitive file by untrusted program", &id[..12], 30);
    let inspect = p.inspect(&id);
    let image = inspect["ImageName"].as_str().unwrap();
    let (repo, tag) = image.rsplit_once(':').unwrap();
    check(
        &a,
        &Expect {
            id: &id[..12],
            name: inspect["Name"].as_str().unwrap(),
            repo,
            tag,
            kind: "podman",
        },
    );
}

#[test]
fn cri_pod_identity_in_default_rules_alerts() {
    require(&["containerd", "ctr", "runc", "dockerd", "docker", "tar"]);
    let s = Scratch::new("live-cri");
    let d = Docker::start(&s.0);
    let fs = rootfs(&s.0);
    d.import(&fs, "localhost/fpause:1.0");
    d.import(&fs, "localhost/fcri:3.0");
    let c = Containerd::start(&s.0, "localhost/fpause:1.0");
    c.import_from(&d, &["localhost/fpause:1.0", "localhost/fcri:3.0"]);
    let mut k = Kubelet::connect(&c.sock);
    std::fs::create_dir_all(s.0.join("pods")).unwrap();
    let pod = k.run_pod(
        &PodSpec {
            name: "web-7d9f",
            namespace: "shop",
            uid: "3e41dc6b-08a8-44db-bc2a-3724b18ab19a",
            labels: &[("app", "web")],
            container: "nginx",
            image: "localhost/fcri:3.0",
        },
        &s.0.join("pods"),
    );
    let falco = Falco::start(&s.0, &repo_rules(), "cri", &c.sock);
    std::thread::sleep(Duration::from_secs(1));
    run(c
        .ctr()
        .args(["task", "exec", "--exec-id", "fct-shell"])
        .arg(&pod.container_id)
        .args(["/bin/sh", "-c", "cat /etc/shadow >/dev/null"]));
    let short = &pod.container_id[..12];
    let a = falco.alert_of("Read sensitive file by untrusted program", short, 30);
    let st = k.status(&pod.container_id);
    let image = st.image.as_ref().unwrap().image.clone();
    let (repo, tag) = image.rsplit_once(':').unwrap();
    check(
        &a,
        &Expect {
            id: short,
            name: &st.metadata.as_ref().unwrap().name,
            repo,
            tag,
            kind: "containerd",
        },
    );
    let f = &a["output_fields"];
    assert_eq!(f["k8s.pod.name"], "web-7d9f", "{a}");
    assert_eq!(f["k8s.ns.name"], "shop", "{a}");
    assert_eq!(f["k8s.pod.uid"], pod.uid, "{a}");
    assert_eq!(f["k8s.pod.label[app]"], "web", "{a}");
    let text = a["output"].as_str().unwrap();
    assert!(
        text.contains("k8s_pod_name=web-7d9f k8s_ns_name=shop"),
        "{text}"
    );
    drop(falco);
    k.remove_pod(&pod.sandbox_id);
}

/// Delivery latency of `n` host alerts (a `cat` of /etc/shadow with a unique marker each),
/// in milliseconds, sorted.
fn host_alert_latencies(falco: &Falco, n: usize, tag: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for i in 0..n {
        let marker = format!("/nonexistent-{tag}-{}-{i}", std::process::id());
        let _ = Command::new("cat")
            .arg("/etc/shadow")
            .arg(&marker)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let a = falco.alert_where(&format!("for {marker}"), 20, |a| {
            a["output_fields"]["proc.cmdline"]
                .as_str()
                .is_some_and(|c| c.contains(&marker))
        });
        assert_eq!(a["output_fields"]["container.id"], "host", "{a}");
        let sent = a["output_fields"]["evt.time"].as_u64().unwrap();
        let got = a["received_ns"].as_u64().unwrap();
        out.push(got.saturating_sub(sent) as f64 / 1e6);
    }
    out.sort_by(f64::total_cmp);
    out
}

fn p99(v: &[f64]) -> f64 {
    v[((v.len() as f64 * 0.99).ceil() as usize).clamp(1, v.len()) - 1]
}

#[test]
fn alerts_keep_flowing_while_a_runtime_hangs_or_restarts_and_metadata_recovers() {
    require(&["dockerd", "docker", "tar", "cat"]);
    let s = Scratch::new("live-faults");
    let mut d = Docker::start(&s.0);
    d.import(&rootfs(&s.0), "localhost/fdock:1.0");
    // A socket that accepts and never answers, configured as the podman engine.
    let hung = s.0.join("hung.sock");
    let listener = std::os::unix::net::UnixListener::bind(&hung).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });
    let a_id = run(d
        .cli()
        .args(["run", "-d", "--name", "fct-a"])
        .arg("localhost/fdock:1.0"));
    let falco = Falco::start_with(
        &s.0,
        &repo_rules(),
        &[("docker", &d.sock), ("podman", &hung)],
    );
    std::thread::sleep(Duration::from_secs(1));
    run(d
        .cli()
        .args(["exec", "fct-a", "sh", "-c", "cat /etc/shadow >/dev/null"]));
    let a = falco.alert_of("Read sensitive file by untrusted program", &a_id[..12], 30);
    assert_eq!(a["output_fields"]["container.name"], "fct-a", "{a}");
    let with_hung = host_alert_latencies(&falco, 40, "hung");

    // The runtime stops: host alerts keep coming.
    d.stop();
    let while_down = host_alert_latencies(&falco, 40, "down");

    // It comes back: a container started now gets its metadata.
    d.restart();
    let b_id = run(d
        .cli()
        .args(["run", "-d", "--name", "fct-b", "--label", "after=restart"])
        .arg("localhost/fdock:1.0"));
    // The client reconnects with backoff (up to 10 s between tries), so the first reads may
    // alert before the metadata is back: read again until an alert names the container.
    let deadline = Instant::now() + Duration::from_secs(60);
    let b = loop {
        run(d
            .cli()
            .args(["exec", "fct-b", "sh", "-c", "cat /etc/shadow >/dev/null"]));
        if let Some(b) = falco.try_alert_where(3, |b| {
            b["output_fields"]["container.id"] == b_id[..12]
                && b["output_fields"]["container.name"] == "fct-b"
        }) {
            break b;
        }
        assert!(
            Instant::now() < deadline,
            "no alert of fct-b with its name within 60 s of dockerd's restart"
        );
    };
    assert_eq!(
        b["output_fields"]["container.image.repository"], "localhost/fdock",
        "{b}"
    );
    let after = host_alert_latencies(&falco, 40, "after");
    println!(
        "alert latency p99 (ms, 40 host alerts each): hung socket {:.2}, dockerd stopped {:.2}, after restart {:.2}",
        p99(&with_hung),
        p99(&while_down),
        p99(&after)
    );
}

/// `falco-inspect --live -w` on the eBPF driver, asking `engine` at `sock`; returns once it
/// captures.
fn start_capture(out: &Path, engine: &str, sock: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_falco-inspect"))
        .args(["--live", "--modern-bpf", "-z", "-M", "120", "-w"])
        .arg(out)
        .arg("--container-socket")
        .arg(format!("{engine}={}", sock.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco-inspect");
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("falco-inspect: {l}");
            if l.contains("capturing to") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("falco-inspect did not start capturing within 60 s");
    child
}

/// Replays `capture` with `rules`, `append_output`'s suggested output and `container.type`,
/// JSON alerts.
fn replay_alerts(dir: &Path, rules: &Path, capture: &Path) -> Vec<serde_json::Value> {
    let cfg = dir.join("replay.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files: [{}]\njson_output: true\njson_include_output_property: true\n\
             stdout_output: {{enabled: true}}\nengine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
             append_output:\n  - suggested_output: true\n  - match: {{source: syscall}}\n    extra_output: \"container_type=%container.type\"\n",
            rules.display(),
            capture.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&cfg)
        .output()
        .expect("falco replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn a_live_capture_replays_with_the_same_container_and_sysdig_reads_it() {
    require(&["dockerd", "docker", "tar", "sysdig"]);
    let s = Scratch::new("live-capture");
    let d = Docker::start(&s.0);
    d.import(&rootfs(&s.0), "localhost/fcap:4.2");
    let id = run(d
        .cli()
        .args(["run", "-d", "--name", "fct-cap", "--label", "app=cap"])
        .arg("localhost/fcap:4.2"));
    let short = &id[..12];
    let cap = s.0.join("live.scap.gz");
    let mut inspect = start_capture(&cap, "docker", &d.sock);
    let falco = Falco::start(&s.0, &repo_rules(), "docker", &d.sock);
    std::thread::sleep(Duration::from_secs(1));
    run(d
        .cli()
        .args(["exec", "fct-cap", "sh", "-c", "cat /etc/shadow >/dev/null"]));
    let rule = "Read sensitive file by untrusted program";
    let live = falco.alert_of(rule, short, 30);
    drop(falco);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(inspect.id() as i32, libc::SIGINT) };
    let st = inspect.wait().expect("falco-inspect");
    assert!(st.success(), "falco-inspect: {st}");

    let replayed = replay_alerts(&s.0, &repo_rules(), &cap);
    let r = replayed
        .iter()
        .find(|a| a["rule"] == rule && a["output_fields"]["container.id"] == short)
        .unwrap_or_else(|| panic!("no replayed `{rule}` alert of {short}: {replayed:?}"));
    for f in [
        "container.id",
        "container.name",
        "container.image.repository",
        "container.image.tag",
        "container.type",
    ] {
        assert_eq!(
            r["output_fields"][f], live["output_fields"][f],
            "{f}: replay {r} live {live}"
        );
    }
    assert_eq!(r["output_fields"]["container.name"], "fct-cap", "{r}");
    let text = r["output"].as_str().unwrap();
    assert!(
        text.contains("container_name=fct-cap container_image_repository=localhost/fcap container_image_tag=4.2"),
        "{text}"
    );

    // sysdig, the reference reader, finds the same container in the capture.
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(&cap)
        .args([
            "-p",
            "%container.id %container.name %container.image",
            &format!("container.id={short} and fd.name=/etc/shadow"),
        ])
        .output()
        .expect("sysdig");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l == format!("{short} fct-cap localhost/fcap:4.2")),
        "sysdig: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `cmd` as one `sh -c` string, each word single-quoted.
fn shell_line(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The seeds' walkthrough on a CRI pod (`kubectl exec -it nginx -- sh`, then `cat
/// /etc/shadow`) under the official rules with Falco 0.44's `append_output` default: both
/// alerts carry the container and pod context, in the text and in the JSON fields.
#[test]
fn seed_scenario_in_a_pod_carries_container_and_pod_context_with_the_official_rules() {
    require(&[
        "containerd",
        "ctr",
        "runc",
        "dockerd",
        "docker",
        "tar",
        "script",
    ]);
    let s = Scratch::new("live-seed");
    let d = Docker::start(&s.0);
    let fs = rootfs(&s.0);
    d.import(&fs, "localhost/fpause:1.0");
    d.import(&fs, "localhost/nginx:1.27");
    let c = Containerd::start(&s.0, "localhost/fpause:1.0");
    c.import_from(&d, &["localhost/fpause:1.0", "localhost/nginx:1.27"]);
    let mut k = Kubelet::connect(&c.sock);
    std::fs::create_dir_all(s.0.join("pods")).unwrap();
    let pod = k.run_pod(
        &PodSpec {
            name: "nginx",
            namespace: "default",
            uid: "5b1f0c2e-7a4d-4f7e-9a51-0c3d2e1f4a6b",
            labels: &[("app", "nginx")],
            container: "nginx",
            image: "localhost/nginx:1.27",
        },
        &s.0.join("pods"),
    );
    let falco = Falco::start(&s.0, &official_rules(), "cri", &c.sock);
    std::thread::sleep(Duration::from_secs(1));
    // `kubectl exec -it`: a shell on a terminal (script(1) gives ctr one), reading the file.
    let mut exec = c.ctr();
    exec.args(["task", "exec", "-t", "--exec-id", "seed"])
        .arg(&pod.container_id)
        .args(["/bin/sh", "-c", "cat /etc/shadow >/dev/null"]);
    run(Command::new("script")
        .args(["-qec", &shell_line(&exec), "/dev/null"])
        .stdin(Stdio::null()));
    let short = &pod.container_id[..12];
    let context = format!(
        "container_id={short} container_name=nginx container_image_repository=localhost/nginx container_image_tag=1.27 k8s_pod_name=nginx k8s_ns_name=default"
    );
    for rule in [
        "Terminal shell in container",
        "Read sensitive file untrusted",
    ] {
        let a = falco.alert_of(rule, short, 30);
        let text = a["output"].as_str().unwrap();
        // The rule prints container_id itself; the rest is appended in the plugin's order.
        let appended = context.split_once(' ').unwrap().1;
        assert!(text.contains(&format!("container_id={short}")), "{text}");
        assert!(text.contains(appended), "`{appended}` not in: {text}");
        let f = &a["output_fields"];
        assert_eq!(f["container.id"], short, "{a}");
        assert_eq!(f["container.name"], "nginx", "{a}");
        assert_eq!(f["container.image.repository"], "localhost/nginx", "{a}");
        assert_eq!(f["container.image.tag"], "1.27", "{a}");
        assert_eq!(f["k8s.pod.name"], "nginx", "{a}");
        assert_eq!(f["k8s.ns.name"], "default", "{a}");
    }
    drop(falco);
    k.remove_pod(&pod.sandbox_id);
}

/// A container with the host's /etc mounted raises the start rule, with its metadata; a plain
/// container of the same image (the benign twin) does not. (`--privileged` itself cannot run
/// on this host: runc may not apply the full capability set here; container_captures.rs
/// covers the privileged flag from a capture's container event.)
#[test]
fn sensitive_mount_containers_are_reported_when_they_start() {
    require(&["dockerd", "docker", "tar"]);
    let s = Scratch::new("live-mount");
    let d = Docker::start(&s.0);
    d.import(&rootfs(&s.0), "localhost/fmnt:0.9");
    let falco = Falco::start(&s.0, &repo_rules(), "docker", &d.sock);
    let start = |args: &[&str]| {
        run(d
            .cli()
            .args(["run", "-d"])
            .args(args)
            .arg("localhost/fmnt:0.9"))
    };
    let plain = start(&["--name", "fct-plain"]);
    let mounted = start(&["--name", "fct-mnt", "-v", "/etc:/host-etc:ro"]);
    let rule = "Privileged or sensitive-mount container started";
    let m = falco.alert_of(rule, &mounted[..12], 30);
    assert_eq!(m["output_fields"]["container.name"], "fct-mnt", "{m}");
    assert_eq!(m["output_fields"]["container.privileged"], false, "{m}");
    assert!(
        m["output_fields"]["container.mounts"]
            .as_str()
            .is_some_and(|t| t.starts_with("/etc:/host-etc:")),
        "{m}"
    );
    let twin = falco.try_alert_where(5, |a| {
        a["rule"] == rule && a["output_fields"]["container.id"] == plain[..12]
    });
    assert!(twin.is_none(), "the plain container raised {twin:?}");
}
