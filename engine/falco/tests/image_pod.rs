//! The container image in the chart's pod, under podman (no Kubernetes cluster can run on this
//! machine): `scripts/build-image` builds `target/image/falco-<version>.tar` from the binaries
//! this test run built (a few seconds); podman, with a private store, run root and socket under
//! the test's directory, loads it and plays the DaemonSet `helm template` renders (its
//! ConfigMap, mounts, capabilities, `HOST_ROOT`) as a pod. The eBPF driver starts, `/healthz`
//! answers 200 on the pod's port, and a shell in another container reading `/etc/shadow` raises
//! an alert on the pod's log naming that container (metadata from the podman socket the chart
//! mounts).
//!
//! What a kubelet would do and podman 4.3 (bookworm) does not, the test does to the rendered
//! objects first, in [`as_kubelet_would`], and nothing else: the DaemonSet becomes a one-replica
//! Deployment (podman plays no DaemonSet), downward-API values are filled in, the ConfigMaps are
//! written out as files and mounted from there (podman has no `subPath`), and seccomp is
//! unconfined as under a kubelet's default (podman's own profile allows `bpf` only with
//! SYS_ADMIN; podman reads the annotation, not the field). podman also ignores `hostPID`: the
//! engine reads the host's processes through `/host/proc` either way.
//!
//! The machine is shared: the chart's `extra.env` gives the engine `FALCO_EBPF_ONLY_TREE_OF`,
//! the pid of the target container's shell, started (waiting) before the pod; the pod sees
//! only that container's processes, and podman's containers are those of the private store.
//! Root only (BPF); runc with the ulimits nofile=1024 and nproc=1024 (crun fails here), set
//! through a private containers.conf.

use serde_yaml::{Mapping, Value};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Fails (never skips) when something the test needs is missing.
fn require() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the image test loads the eBPF driver in a pod: run it as root (CI runs as root)"
    );
    for tool in ["podman", "runc", "slirp4netns", "catatonit", "tar"] {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).exists()))
            .unwrap_or(false)
            || Path::new("/usr/libexec/podman").join(tool).exists();
        assert!(
            found,
            "{tool} is missing: scripts/test-deps installs podman, runc, slirp4netns and catatonit"
        );
    }
    assert!(
        Path::new("/bin/busybox").exists(),
        "busybox is missing (the target container's image): apt-get install busybox-static"
    );
}

fn helm() -> PathBuf {
    let p = std::env::var_os("FALCO_CHART_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(REPO).join("target/chart-tools/bin"))
        .join("helm");
    assert!(
        p.exists(),
        "{} is missing: run scripts/chart-tools",
        p.display()
    );
    p
}

/// Runs `cmd`, panics with its stderr when it fails, returns its stdout.
fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// podman with its whole state under one directory: store (vfs, so nothing stays mounted),
/// run root, temporary files, and a containers.conf choosing runc, cgroupfs, file events and
/// the ulimits.
struct Podman {
    dir: PathBuf,
    service: Option<Child>,
}

impl Podman {
    fn new(dir: &Path) -> Podman {
        std::fs::write(
            dir.join("containers.conf"),
            "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\
             [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
        )
        .expect("containers.conf");
        Podman {
            dir: dir.to_path_buf(),
            service: None,
        }
    }

    fn cmd(&self) -> Command {
        let d = self.dir.display();
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", self.dir.join("containers.conf"))
            .arg(format!("--root={d}/store"))
            .arg(format!("--runroot={d}/run"))
            .arg(format!("--tmpdir={d}/tmp"))
            .arg("--storage-driver=vfs");
        c
    }

    /// The Docker-compatible API of this store on `sock`, for the pod's container metadata.
    fn serve(&mut self, sock: &Path) {
        let child = self
            .cmd()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", sock.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("podman system service");
        self.service = Some(child);
        let start = Instant::now();
        while !sock.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "podman system service made no socket at {}",
                sock.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn logs(&self, container: &str) -> String {
        let out = self
            .cmd()
            .args(["logs", container])
            .output()
            .expect("podman logs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.cmd().args(["pod", "rm", "--all", "--force"]).output();
        let _ = self.cmd().args(["rm", "--all", "--force"]).output();
        if let Some(mut s) = self.service.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
        // Not `system reset`: it would also remove the machine's podman networks. The vfs
        // store holds no mounts, so the directory goes with the test's.
        let _ = self.cmd().args(["rmi", "--all", "--force"]).output();
    }
}

/// `scripts/build-image` over the binaries of this build: the archive's path.
fn build_image() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_falco"));
    let target = bin
        .parent()
        .and_then(Path::parent)
        .expect("the falco binary is in <target>/release");
    let out = run(
        Command::new(format!("{REPO}/scripts/build-image"))
            .env("NO_CARGO", "1")
            .env("CARGO_TARGET_DIR", target),
        "scripts/build-image",
    );
    let archive = PathBuf::from(out.trim());
    assert!(
        archive.ends_with(format!(
            "target/image/falco-{}.tar",
            env!("CARGO_PKG_VERSION")
        )),
        "build-image printed {archive:?}"
    );
    archive
}

/// The busybox image the target container runs, imported from a directory (no registry).
fn import_busybox(podman: &Podman, dir: &Path) -> &'static str {
    let root = dir.join("busybox");
    for d in ["bin", "etc", "tmp", "proc", "sys", "dev", "trigger"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    let busybox = std::fs::canonicalize("/bin/busybox").expect("busybox");
    std::fs::copy(busybox, root.join("bin/busybox")).expect("copy busybox");
    for applet in ["sh", "cat", "sleep", "test", "["] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).expect("applet");
    }
    std::fs::write(root.join("etc/shadow"), "root:*:19000:0:99999:7:::\n").expect("shadow");
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .expect("tar");
    let name = "localhost/falco-image-test-busybox:1";
    run(
        podman
            .cmd()
            .args(["import", "-", name])
            .stdin(tar.stdout.take().expect("tar stdout")),
        "podman import",
    );
    assert!(
        tar.wait().expect("tar").success(),
        "tar of the busybox tree"
    );
    name
}

fn map_mut<'a>(v: &'a mut Value, key: &str) -> &'a mut Mapping {
    let m = v.as_mapping_mut().expect("a mapping");
    if !m.contains_key(key) {
        m.insert(key.into(), Value::Mapping(Mapping::new()));
    }
    m.get_mut(key)
        .and_then(Value::as_mapping_mut)
        .unwrap_or_else(|| panic!("{key} is not a mapping"))
}

/// The rendered objects as podman 4.3 can play them, each change one a kubelet would make
/// itself (see the module's doc): returns the YAML stream for `podman kube play`.
fn as_kubelet_would(rendered: &str, files: &Path, node: &str) -> String {
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(rendered)
        .filter_map(|d| serde::Deserialize::deserialize(d).ok())
        .filter(|v: &Value| !v.is_null())
        .collect();
    let config_maps: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"].as_str() == Some("ConfigMap"))
        .collect();
    let mut ds = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("DaemonSet"))
        .expect("the chart renders a DaemonSet")
        .clone();
    ds["kind"] = "Deployment".into();
    let spec = ds["spec"].as_mapping_mut().expect("spec");
    spec.remove("updateStrategy");
    spec.insert("replicas".into(), 1.into());

    let template = &mut ds["spec"]["template"];
    map_mut(&mut template["metadata"], "annotations").insert(
        "seccomp.security.alpha.kubernetes.io/pod".into(),
        "unconfined".into(),
    );
    let pod = &mut template["spec"];
    // ConfigMap volumes: the files the kubelet would project, as host directories.
    let mut projected: Vec<(String, PathBuf)> = Vec::new();
    for v in pod["volumes"].as_sequence_mut().expect("volumes") {
        let Some(cm_name) = v["configMap"]["name"].as_str().map(str::to_string) else {
            continue;
        };
        let vol = v["name"].as_str().expect("volume name").to_string();
        let cm = config_maps
            .iter()
            .find(|c| c["metadata"]["name"].as_str() == Some(&cm_name))
            .unwrap_or_else(|| panic!("ConfigMap {cm_name} is not rendered"));
        let d = files.join(&vol);
        std::fs::create_dir_all(&d).expect("mkdir");
        for (k, val) in cm["data"].as_mapping().expect("data") {
            std::fs::write(
                d.join(k.as_str().expect("key")),
                val.as_str().expect("value"),
            )
            .expect("write a ConfigMap file");
        }
        let m = v.as_mapping_mut().expect("volume");
        m.remove("configMap");
        m.insert(
            "hostPath".into(),
            serde_yaml::from_str(&format!("{{path: {}}}", d.display())).expect("hostPath"),
        );
        projected.push((vol, d));
    }
    let mut file_volumes: Vec<Value> = Vec::new();
    for c in pod["containers"].as_sequence_mut().expect("containers") {
        for e in c["env"].as_sequence_mut().into_iter().flatten() {
            if e.get("valueFrom").is_some() {
                let m = e.as_mapping_mut().expect("env");
                m.remove("valueFrom");
                m.insert("value".into(), node.into());
            }
        }
        for m in c["volumeMounts"].as_sequence_mut().expect("mounts") {
            let Some((vol, d)) = projected
                .iter()
                .find(|(v, _)| m["name"].as_str() == Some(v))
            else {
                continue;
            };
            let Some(sub) = m["subPath"].as_str().map(str::to_string) else {
                continue;
            };
            let name = format!("{vol}-{}", sub.replace(['.', '/'], "-"));
            file_volumes.push(
                serde_yaml::from_str(&format!(
                    "{{name: {name}, hostPath: {{path: {}, type: File}}}}",
                    d.join(&sub).display()
                ))
                .expect("file volume"),
            );
            let mm = m.as_mapping_mut().expect("mount");
            mm.remove("subPath");
            mm.insert("name".into(), name.into());
        }
    }
    pod["volumes"]
        .as_sequence_mut()
        .expect("volumes")
        .extend(file_volumes);
    let mut out = String::new();
    for d in config_maps {
        out.push_str(&serde_yaml::to_string(d).expect("yaml"));
        out.push_str("---\n");
    }
    out.push_str(&serde_yaml::to_string(&ds).expect("yaml"));
    out
}

/// The status code of `GET path` on 127.0.0.1:`port`, or None while nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Polls `f` every 200 ms until it returns Some or `limit` passes.
fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_image_in_the_charts_pod_alerts_on_another_containers_shadow_read() {
    require();
    let helm = helm();
    let archive = build_image();
    let tmp = tempfile::Builder::new()
        .prefix("falco-image-pod-")
        .tempdir()
        .expect("tempdir");
    let dir = tmp.path();
    let mut podman = Podman::new(dir);
    run(
        podman
            .cmd()
            .args(["load", "--quiet", "--input"])
            .arg(&archive),
        "podman load",
    );
    // The image's own configuration (engine.kind auto, the rules under /etc/falco) loads.
    run(
        podman.cmd().args([
            "run",
            "--rm",
            "--network=none",
            &format!("localhost/falco-rs:{}", env!("CARGO_PKG_VERSION")),
            "/usr/bin/falco",
            "--dry-run",
        ]),
        "falco --dry-run in the image",
    );
    let sock = dir.join("podman.sock");
    podman.serve(&sock);

    // The target: a shell waiting for /trigger/go, then reading /etc/shadow.
    let busybox = import_busybox(&podman, dir);
    let trigger = dir.join("trigger");
    std::fs::create_dir_all(&trigger).expect("trigger dir");
    let target = format!("falco-image-target-{}", std::process::id());
    let id = run(
        podman
            .cmd()
            .args(["run", "-d", "--network=none", "--name", &target])
            .arg(format!("--volume={}:/trigger", trigger.display()))
            .args([
                busybox,
                "/bin/sh",
                "-c",
                "while [ ! -e /trigger/go ]; do sleep 0.2; done; cat /etc/shadow; sleep 60",
            ]),
        "podman run the target",
    );
    let id12 = id.trim()[..12].to_string();
    let pid = run(
        podman
            .cmd()
            .args(["inspect", "--format", "{{.State.Pid}}", &target]),
        "podman inspect",
    );
    let pid = pid.trim();
    assert!(
        pid.parse::<u32>().is_ok_and(|p| p > 1),
        "target pid {pid:?}"
    );

    // The chart, rendered with this machine's podman socket as the only runtime.
    let port = free_port();
    let values = dir.join("values.yaml");
    std::fs::write(
        &values,
        format!(
            "collectors:\n  docker: {{enabled: false}}\n  containerd: {{enabled: false}}\n  \
             crio: {{enabled: false}}\n  podman: {{enabled: true, socket: {}}}\n\
             extra:\n  env:\n    - {{name: FALCO_EBPF_ONLY_TREE_OF, value: \"{pid}\"}}\n\
             falco:\n  json_output: true\n  webserver: {{listen_port: {port}}}\n",
            sock.display()
        ),
    )
    .expect("values");
    let rendered = run(
        Command::new(&helm)
            .args(["template", "falco", &format!("{REPO}/deploy/helm/falco")])
            .args(["--namespace", "falco", "-f"])
            .arg(&values),
        "helm template",
    );
    let files = dir.join("kubelet");
    let play = as_kubelet_would(&rendered, &files, "image-test-node");
    let play_file = dir.join("play.yaml");
    std::fs::write(&play_file, &play).expect("play.yaml");
    // What the pod runs is the chart's: least privilege, HOST_ROOT, the host mounts.
    for needle in [
        "- BPF",
        "- PERFMON",
        "name: HOST_ROOT",
        "value: /host",
        "mountPath: /host/proc",
        "mountPath: /host/etc",
        "mountPath: /host/sys/kernel/btf",
        &format!("mountPath: /host{}", sock.display()),
        "image: localhost/falco-rs:",
    ] {
        assert!(
            play.contains(needle),
            "the pod spec has no {needle:?}:\n{play}"
        );
    }
    assert!(!play.contains("privileged: true"), "{play}");

    run(
        podman
            .cmd()
            .args(["kube", "play", "--network", "slirp4netns"])
            .arg(&play_file),
        "podman kube play",
    );
    let pod_container = "falco-pod-0-falco";
    let healthy = wait_for(Duration::from_secs(90), || {
        (http_status(port, "/healthz") == Some(200)).then_some(())
    });
    let logs = podman.logs(pod_container);
    assert!(
        healthy.is_some(),
        "/healthz on 127.0.0.1:{port} never answered 200; the pod's log:\n{logs}"
    );
    assert!(
        logs.contains("capturing live events from the modern eBPF driver"),
        "the eBPF driver did not start; the pod's log:\n{logs}"
    );

    std::fs::write(trigger.join("go"), "").expect("trigger");
    let alert = wait_for(Duration::from_secs(30), || {
        podman.logs(pod_container).lines().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["output_fields"]["fd.name"] == "/etc/shadow"
                && v["output_fields"]["container.id"] == id12.as_str())
            .then_some(v)
        })
    });
    let logs = podman.logs(pod_container);
    let alert = alert.unwrap_or_else(|| {
        panic!(
            "no alert for /etc/shadow read in container {id12} ({target}); the pod's log:\n{logs}"
        )
    });
    assert_eq!(
        alert["rule"], "Read sensitive file by untrusted program",
        "{alert}"
    );
    assert_eq!(alert["output_fields"]["proc.name"], "cat", "{alert}");
    assert_eq!(
        alert["output_fields"]["container.name"],
        target.as_str(),
        "{alert}"
    );
    let output = alert["output"].as_str().unwrap_or_default();
    eprintln!("image_pod: the pod's alert: {output}");
    assert!(
        output.contains(&format!("container_id={id12}"))
            && output.contains(&format!("container_name={target}")),
        "the alert line names the container: {output}"
    );
    // Only the target's tree is captured: no alert names another container or the host.
    for l in logs.lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(l) {
            if v["rule"].is_string() && v["source"] == "syscall" {
                assert_eq!(v["output_fields"]["container.id"], id12.as_str(), "{l}");
            }
        }
    }
}
