//! The metadata worker against real runtimes started here (dockerd, podman's API service,
//! containerd's CRI): what it caches equals what each runtime's own inspect answers; it
//! lists containers running at start-up, follows starts and exits, and survives runtimes
//! that are absent, hung or restarted.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::cri::{Kubelet, PodSpec};
use common::*;
use falco_containers::{ContainerCache, EngineKind, EnginesConfig};
use falco_sinsp::state::container::{ContainerInfo, ContainerMetadata};

fn config(engines: &[(EngineKind, &Path)]) -> EnginesConfig {
    let mut c = EnginesConfig::none();
    c.host_root = None;
    c.request_timeout = Duration::from_secs(2);
    c.max_backoff = Duration::from_secs(1);
    for (k, p) in engines {
        let e = c.engine_mut(*k);
        e.enabled = true;
        e.sockets.push(p.to_path_buf());
    }
    c
}

fn short(id: &str) -> String {
    id[..12].to_string()
}

/// Waits for the cache to know `id` without asking for it (start-up list or events).
fn wait_listed(cache: &ContainerCache, id: &str) -> Arc<ContainerInfo> {
    wait_for(30, &format!("container {id} in the cache"), || {
        cache.get(id).is_some()
    });
    cache.get(id).unwrap()
}

/// Asks as the state stage does (first event of an unknown container) until answered.
fn wait_requested(cache: &ContainerCache, id: &str, kind: &'static str) -> Arc<ContainerInfo> {
    wait_for(30, &format!("container {id} looked up"), || {
        cache.get_or_request(id, kind).is_some()
    });
    cache.get(id).unwrap()
}

fn labels(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the cached entry against the Docker-API inspect of the container and its image.
fn check_docker_api(
    info: &ContainerInfo,
    inspect: &serde_json::Value,
    image: &serde_json::Value,
    kind: &str,
) {
    let full = inspect["Id"].as_str().unwrap();
    assert_eq!(info.id, short(full));
    assert_eq!(info.full_id, full);
    assert_eq!(
        info.name,
        inspect["Name"].as_str().unwrap().trim_start_matches('/')
    );
    assert_eq!(info.kind, kind);
    let repo_tag = image["RepoTags"][0].as_str().unwrap();
    let (repo, tag) = repo_tag.rsplit_once(':').unwrap();
    assert_eq!(info.image_repo, repo);
    assert_eq!(info.image_tag, tag);
    let cfg_image = inspect["Config"]["Image"].as_str().unwrap();
    assert_eq!(info.image, cfg_image);
    let mut want = labels(&inspect["Config"]["Labels"]);
    want.sort();
    let got: Vec<(String, String)> = info
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(got, want);
    assert!(!info.privileged);
}

#[test]
fn docker_metadata_equals_inspect_listed_followed_and_dropped_on_exit() {
    require(&["dockerd", "docker", "tar"]);
    let s = Scratch::new("docker");
    let d = Docker::start(&s.0);
    let fs = rootfs(&s.0);
    d.import(&fs, "localhost/fdock:1.0");
    let first = run(d
        .cli()
        .args([
            "run",
            "-d",
            "--name",
            "fct-web",
            "--label",
            "app=web",
            "--label",
            "tier=front",
        ])
        .arg("localhost/fdock:1.0"));

    let col = falco_containers::start(config(&[(EngineKind::Docker, &d.sock)])).unwrap();
    // Running before the worker started: listed at start-up.
    let info = wait_listed(&col.cache, &short(&first));
    check_docker_api(
        &info,
        &d.inspect(&first),
        &d.inspect("localhost/fdock:1.0"),
        "docker",
    );
    assert_eq!(info.label("app"), Some("web"));

    // Started afterwards: from the event stream, without any event of ours asking.
    let second = run(d
        .cli()
        .args(["run", "-d", "--name", "fct-db", "--label", "app=db"])
        .arg("localhost/fdock:1.0"));
    let info2 = wait_listed(&col.cache, &short(&second));
    check_docker_api(
        &info2,
        &d.inspect(&second),
        &d.inspect("localhost/fdock:1.0"),
        "docker",
    );

    // Gone when the container exits.
    run(d.cli().args(["rm", "-f", "fct-db"]));
    wait_for(30, "the removed container to leave the cache", || {
        col.cache.get(&short(&second)).is_none()
    });
    assert!(col.cache.get(&short(&first)).is_some());
}

#[test]
fn podman_metadata_equals_inspect() {
    require(&["podman", "runc", "tar"]);
    let s = Scratch::new("podman");
    let p = Podman::start(&s.0);
    let fs = rootfs(&s.0);
    p.import(&fs, "localhost/fpod:2.0");
    let first = p.run_detached("fct-pod", &["app=db"], "localhost/fpod:2.0");
    let col = falco_containers::start(config(&[(EngineKind::Podman, &p.sock)])).unwrap();
    let info = wait_listed(&col.cache, &short(&first));
    let inspect = p.inspect(&first);
    assert_eq!(info.id, short(&first));
    assert_eq!(info.full_id, first);
    assert_eq!(info.name, inspect["Name"].as_str().unwrap());
    assert_eq!(info.kind, "podman");
    assert_eq!(info.image, inspect["ImageName"].as_str().unwrap());
    assert_eq!(info.image_repo, "localhost/fpod");
    assert_eq!(info.image_tag, "2.0");
    assert_eq!(info.label("app"), Some("db"));
    let img = p.inspect("localhost/fpod:2.0");
    assert_eq!(img["RepoTags"][0].as_str(), Some("localhost/fpod:2.0"));

    // A container started later is looked up when its first event asks.
    let second = p.run_detached("fct-pod2", &[], "localhost/fpod:2.0");
    let info2 = wait_requested(&col.cache, &short(&second), "podman");
    assert_eq!(info2.name, "fct-pod2");
}

#[test]
fn cri_pod_identity_from_containerd() {
    require(&["containerd", "ctr", "runc", "dockerd", "docker", "tar"]);
    let s = Scratch::new("cri");
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
            labels: &[("app", "web"), ("app.kubernetes.io/name", "shop-web")],
            container: "nginx",
            image: "localhost/fcri:3.0",
        },
        &s.0.join("pods"),
    );
    let col = falco_containers::start(config(&[(EngineKind::Cri, &c.sock)])).unwrap();
    let info = wait_requested(&col.cache, &short(&pod.container_id), "containerd");
    let st = k.status(&pod.container_id);
    assert_eq!(info.full_id, pod.container_id);
    assert_eq!(info.name, st.metadata.as_ref().unwrap().name);
    assert_eq!(info.name, "nginx");
    assert_eq!(info.kind, "containerd");
    let spec = st.image.as_ref().unwrap().image.clone();
    assert_eq!(info.image, spec, "image as ContainerStatus gives it");
    assert_eq!(info.image_repo, "localhost/fcri");
    assert_eq!(info.image_tag, "3.0");
    assert_eq!(info.label("io.kubernetes.pod.name"), Some("web-7d9f"));
    assert_eq!(info.label("io.kubernetes.pod.namespace"), Some("shop"));
    assert_eq!(info.label("io.kubernetes.pod.uid"), Some(pod.uid.as_str()));
    assert_eq!(info.pod_sandbox_id, pod.sandbox_id);
    assert_eq!(
        info.pod_sandbox_labels.get("app").map(String::as_str),
        Some("web")
    );
    assert!(info.host_network, "the pod shares the host network");

    // The sandbox's own process (the pause container) resolves to the pod.
    let sb = wait_requested(&col.cache, &short(&pod.sandbox_id), "containerd");
    assert!(sb.is_pod_sandbox);
    assert_eq!(sb.name, "web-7d9f");
    k.remove_pod(&pod.sandbox_id);
    wait_for(30, "the removed pod's container to leave the cache", || {
        col.cache.get(&short(&pod.container_id)).is_none()
    });
}

/// Log records, to count the warnings per runtime.
struct Capture(Mutex<Vec<String>>);
impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        if r.level() <= log::Level::Info {
            self_lines()
                .lock()
                .unwrap()
                .push(format!("{} {}", r.level(), r.args()));
        }
    }
    fn flush(&self) {}
}
static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));
fn self_lines() -> &'static Mutex<Vec<String>> {
    &CAPTURE.0
}

#[test]
fn faults_absent_hung_and_restarted_runtimes() {
    require(&["dockerd", "docker", "tar"]);
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    let s = Scratch::new("faults");
    let mut d = Docker::start(&s.0);
    let fs = rootfs(&s.0);
    d.import(&fs, "localhost/fdock:1.0");

    // A socket that accepts and never answers, and one that does not exist.
    let hung: PathBuf = s.0.join("hung.sock");
    let listener = std::os::unix::net::UnixListener::bind(&hung).unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let h2 = held.clone();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            h2.lock().unwrap().push(c);
        }
    });
    let absent = s.0.join("absent.sock");

    let col = falco_containers::start(config(&[
        (EngineKind::Podman, &hung),
        (EngineKind::Cri, &absent),
        (EngineKind::Docker, &d.sock),
    ]))
    .unwrap();
    let a = run(d
        .cli()
        .args(["run", "-d", "--name", "fct-a"])
        .arg("localhost/fdock:1.0"));
    // An unknown container never makes the caller wait, whatever the runtimes do.
    let t = Instant::now();
    for _ in 0..1000 {
        let _ = col.cache.get_or_request("0123456789ab", "docker");
    }
    let asked = t.elapsed();
    let info = wait_requested(&col.cache, &short(&a), "docker");
    assert_eq!(info.name, "fct-a");
    println!("1000 lookups of an unknown id while a runtime hangs: {asked:?}");

    // Several reconnection rounds: still one warning per runtime.
    std::thread::sleep(Duration::from_secs(5));
    let count = |needle: &str| {
        self_lines()
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("WARN") && l.contains(needle))
            .count()
    };
    assert_eq!(count("hung.sock"), 1, "{:?}", self_lines().lock().unwrap());
    assert_eq!(
        count("absent.sock"),
        1,
        "{:?}",
        self_lines().lock().unwrap()
    );
    assert!(
        held.lock().unwrap().len() >= 2,
        "the worker retried the hung socket"
    );

    // The runtime goes away and comes back: one warning, then metadata again.
    d.restart();
    let b = run(d
        .cli()
        .args(["run", "-d", "--name", "fct-b", "--label", "after=restart"])
        .arg("localhost/fdock:1.0"));
    let info = wait_requested(&col.cache, &short(&b), "docker");
    assert_eq!(info.label("after"), Some("restart"));
    assert_eq!(
        count("docker.sock"),
        1,
        "{:?}",
        self_lines().lock().unwrap()
    );
    assert!(
        self_lines()
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("INFO")
                && l.contains("docker.sock")
                && l.contains("answers again")),
        "{:?}",
        self_lines().lock().unwrap()
    );
}
