//! The container scenarios of `tests/scenarios/` in real containers, live through the modern
//! eBPF driver on this host's kernel: podman (runc, cgroupfs, a private root, run root and
//! temporary directory, no network, the ulimits nofile=1024 and nproc=1024) and dockerd (a
//! private socket, data and exec roots, no bridge, no iptables, the same ulimits) run an image
//! imported from a busybox tree (no registry), and the default rules raise the scenario's rule
//! with its EXPECT fields and the container's real id; the seed scenario (a shell in a container
//! reads its command `cat /etc/shadow` from stdin) raises exactly its two alerts.
//!
//! A real runtime's init mounts inside the container: `Mount from container` fires on those
//! mounts (a gap of the rules, counted apart and reported, see the seed check).
//!
//! The module's recorded verdicts come from the guest's emulated runtime (the scenario helper
//! as `runc`, `ebpf_scenarios.rs` runs them so); here the runtime is real, so one EXPECT field
//! cannot hold: `parent=runc` (a real container's first process is started by runc's init, whose
//! parent by then is conmon), and it is left out, said in each failure message.
//!
//! conmon daemonizes: the captured tree's root is a child subreaper (the scenario helper's
//! `subreaper`) so the containers stay in it. The containers' cgroups are made below this
//! process's own (`--cgroup-parent`), not beside the machine's. Root only.

mod ebpf_common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ebpf_common::{require_root, ringreader_example, LiveFalco, Workload, REPO};

/// `RULE` and `EXPECT` of scenario `slug`, EXPECT split on `|`.
fn scenario(slug: &str) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(format!("{REPO}/tests/scenarios/{slug}.sh"))
        .unwrap_or_else(|e| panic!("{slug}.sh: {e}"));
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches(|c| c == '\'' || c == '"').to_string())
            .unwrap_or_else(|| panic!("{slug}.sh has no {key}="))
    };
    let expect = value("EXPECT").split('|').map(str::to_string).collect();
    (value("RULE"), expect)
}

/// This process's cgroup path in the v1 `memory` hierarchy (the machine's limit holder).
fn own_memory_cgroup() -> String {
    std::fs::read_to_string("/proc/self/cgroup")
        .expect("/proc/self/cgroup")
        .lines()
        .find_map(|l| l.split_once(":memory:").map(|(_, p)| p.to_string()))
        .unwrap_or_else(|| "/".into())
}

/// A container runtime with private state under the test's directory: its client command
/// line, and how `run` places a container.
struct Runtime {
    /// `podman` or `docker`.
    name: &'static str,
    /// The client and its global options (storage, sockets).
    base: Vec<String>,
    /// Options of every `run`.
    run_opts: String,
    /// The containers' cgroup parent: below this process's own memory cgroup, so no container
    /// leaves the machine's limits.
    cgroup_parent: String,
    dir: PathBuf,
    runs: u32,
}

impl Runtime {
    fn cgroup_parent(name: &str) -> String {
        format!(
            "{}/falco-ebpf-{name}-{}",
            own_memory_cgroup().trim_end_matches('/'),
            std::process::id()
        )
    }

    /// podman with runc and cgroupfs, its storage, run root and temporary files in `dir`.
    fn podman(dir: &Path) -> Runtime {
        let d = dir.display();
        let cgroup_parent = Runtime::cgroup_parent("podman");
        Runtime {
            name: "podman",
            base: vec![
                "podman".into(),
                format!("--root={d}/storage"),
                format!("--runroot={d}/run"),
                format!("--tmpdir={d}/tmp"),
                "--runtime=runc".into(),
                "--cgroup-manager=cgroupfs".into(),
                "--events-backend=file".into(),
            ],
            run_opts: format!(
                "--network=none --ulimit=nofile=1024:1024 --ulimit=nproc=1024:1024 \
                 --cgroup-parent={cgroup_parent}"
            ),
            cgroup_parent,
            dir: dir.to_path_buf(),
            runs: 0,
        }
    }

    /// The docker client of the dockerd [`Runtime::dockerd_line`] starts.
    fn docker(dir: &Path) -> Runtime {
        let d = dir.display();
        Runtime {
            name: "docker",
            base: vec!["docker".into(), format!("--host=unix://{d}/docker.sock")],
            run_opts: "--network=none".into(),
            cgroup_parent: Runtime::cgroup_parent("docker"),
            dir: dir.to_path_buf(),
            runs: 0,
        }
    }

    /// dockerd with a private socket, data root, exec root and pid file, no bridge, no
    /// iptables, the ulimits, and its containers' cgroups below this process's.
    fn dockerd_line(&self) -> String {
        let d = self.dir.display();
        format!(
            "dockerd --host=unix://{d}/docker.sock --data-root={d}/data --exec-root={d}/exec \
             --pidfile={d}/docker.pid --bridge=none --iptables=false --ip6tables=false \
             --default-ulimit nofile=1024:1024 --default-ulimit nproc=1024:1024 \
             --cgroup-parent={} > {d}/dockerd.log 2>&1 &",
            self.cgroup_parent
        )
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.base[0]);
        c.args(&self.base[1..]);
        c
    }

    /// The `run` command line for the workload shell; the container's id goes to the returned
    /// file.
    fn run_line(&mut self, opts: &str, cmd: &str) -> (String, PathBuf) {
        self.runs += 1;
        let cid = self.dir.join(format!("cid-{}", self.runs));
        let line = format!(
            "{} run --rm {} --cidfile={} {opts} localhost/falco-ebpf-scenarios:test {cmd}",
            self.base.join(" "),
            self.run_opts,
            cid.display()
        );
        (line, cid)
    }
}

/// The image: busybox with its applets in /bin, the files the scenarios read.
fn import_image(rt: &Runtime, dir: &Path) {
    let root = dir.join("image");
    for d in ["bin", "etc", "srv", "mnt", "tmp", "proc", "sys", "dev"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    let busybox = std::fs::canonicalize("/bin/busybox")
        .expect("busybox is required (apt-get install busybox-static)");
    std::fs::copy(busybox, root.join("bin/busybox")).expect("copy busybox");
    let list = Command::new(root.join("bin/busybox"))
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" && !applet.contains('/') {
            let _ = std::os::unix::fs::symlink("busybox", root.join("bin").join(applet));
        }
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
    let out = rt
        .cmd()
        .args(["import", "-", "localhost/falco-ebpf-scenarios:test"])
        .stdin(tar.stdout.take().expect("tar stdout"))
        .output()
        .expect("import the image");
    let tar_status = tar.wait().expect("wait tar");
    assert!(tar_status.success(), "tar of the image: {tar_status}");
    assert!(
        out.status.success(),
        "{} import: {}",
        rt.name,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The 12-character id of the container whose id podman wrote to `cidfile`.
fn cid12(cidfile: &Path) -> String {
    let id =
        std::fs::read_to_string(cidfile).unwrap_or_else(|e| panic!("{}: {e}", cidfile.display()));
    assert!(id.trim().len() >= 12, "container id {id:?}");
    id.trim()[..12].to_string()
}

/// Alert lines (JSON) of rule `rule` whose text holds every field of `expect`.
fn matching(alerts: &[serde_json::Value], rule: &str, expect: &[String]) -> usize {
    alerts
        .iter()
        .filter(|a| a["rule"] == rule)
        .filter(|a| {
            let text = a["output"].as_str().unwrap_or_default();
            expect.iter().all(|w| text.contains(w.as_str()))
        })
        .count()
}

/// The cgroup directories that `parent` and its ancestors would add to the hierarchies under
/// /sys/fs/cgroup and that do not exist yet, deepest last (podman makes them; the test removes
/// them afterwards with [`remove_cgroups`]).
fn missing_cgroups(parent: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(hier) = std::fs::read_dir("/sys/fs/cgroup") else {
        return out;
    };
    let parts: Vec<&str> = parent.split('/').filter(|p| !p.is_empty()).collect();
    for h in hier.flatten() {
        let mut p = h.path();
        for part in &parts {
            p = p.join(part);
            if !p.exists() {
                out.push(p.clone());
            }
        }
    }
    out
}

/// Removes the cgroups podman made: everything below each of `made` (deepest first), then
/// `made` themselves, deepest first; a cgroup still holding a process stays.
fn remove_cgroups(made: &[PathBuf]) {
    for top in made.iter().rev() {
        if top.is_dir() {
            let _ = Command::new("find")
                .arg(top)
                .args(["-depth", "-type", "d", "-exec", "rmdir", "{}", ";"])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// One runtime at a time: each test runs an engine and a runtime on a 2-CPU machine.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn require_tools(tools: &[&str], package: &str) {
    for tool in tools {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            "{tool} is required (apt-get install {package})"
        );
    }
}

#[test]
fn container_scenarios_in_real_podman_containers() {
    require_root("ebpf_containers");
    require_tools(&["podman", "runc"], "podman runc");
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("tempdir");
    check_runtime(Runtime::podman(dir.path()));
}

#[test]
fn container_scenarios_in_real_docker_containers() {
    require_root("ebpf_containers");
    require_tools(&["dockerd", "docker", "runc"], "docker.io");
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("tempdir");
    check_runtime(Runtime::docker(dir.path()));
}

/// The container scenarios and the seed through runtime `rt`, live through eBPF.
fn check_runtime(mut rt: Runtime) {
    let helper = ringreader_example("scenario-helper");
    let made_cgroups = missing_cgroups(&rt.cgroup_parent);
    let dir = rt.dir.clone();
    // The captured tree: conmon and containerd's shims daemonize, a subreaper keeps them in it.
    let mut sh = Workload::start_under(&dir, &[helper.as_os_str(), OsStr::new("subreaper")]);
    if rt.name == "docker" {
        let (rc, out) = sh.run(&rt.dockerd_line());
        assert_eq!(rc, 0, "dockerd: {out:?}");
        let (rc, out) = sh.run(&format!(
            "i=0; until {} info > /dev/null 2>&1; do i=$((i+1)); [ $i -lt 300 ] || exit 1; \
             sleep 0.1; done",
            rt.base.join(" ")
        ));
        let log = std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
        assert_eq!(rc, 0, "dockerd did not answer within 30 s: {out:?}\n{log}");
    }
    import_image(&rt, &dir);
    let mut falco = LiveFalco::start(sh.pid(), &[]);

    // (scenario, podman options, trigger command)
    let cases = [
        ("shell-in-container", "", "/bin/sh -c 'exit 0'"),
        ("file-created-in-container", "", "/bin/touch /srv/drift"),
        (
            "mount-in-container",
            "--cap-add=SYS_ADMIN",
            "/bin/mount -t tmpfs none /mnt",
        ),
    ];
    let mut runs = Vec::new();
    for (slug, opts, cmd) in cases {
        let (line, cidfile) = rt.run_line(opts, cmd);
        let (rc, out) = sh.run(&line);
        assert_eq!(rc, 0, "{slug}: `{line}`: {out:?}");
        runs.push((slug, cid12(&cidfile)));
    }
    // The shell scenario's benign twin: the same container running ls.
    let (line, cidfile) = rt.run_line("", "/bin/ls /");
    let (rc, out) = sh.run(&format!("{line} > /dev/null"));
    assert_eq!(rc, 0, "benign ls: {out:?}");
    let benign = cid12(&cidfile);
    // The seed: a shell in a container reads `cat /etc/shadow` from stdin.
    let (line, cidfile) = rt.run_line("-i", "/bin/sh");
    let (rc, out) = sh.run(&format!("echo 'cat /etc/shadow' | {line} > /dev/null"));
    assert_eq!(rc, 0, "seed: {out:?}");
    let seed = cid12(&cidfile);

    let wanted = format!("\"container.id\":\"{seed}\"");
    let seen_seed = falco.wait_for(
        |l| l.contains("Read sensitive file by untrusted program") && l.contains(&wanted),
        Duration::from_secs(20),
    );
    std::thread::sleep(Duration::from_secs(1));
    let (status, lines) = falco.stop();
    let _ = rt
        .cmd()
        .args(["rm", "-a", "-f"])
        .stdout(Stdio::null())
        .status();
    let _ = rt
        .cmd()
        .args(["rmi", "-a", "-f"])
        .stdout(Stdio::null())
        .output();
    if rt.name == "docker" {
        let pid = dir.join("docker.pid");
        let (rc, out) = sh.run(&format!(
            "p=$(cat {0}); kill $p; i=0; while kill -0 $p 2>/dev/null; do i=$((i+1)); \
             [ $i -lt 300 ] || exit 1; sleep 0.1; done",
            pid.display()
        ));
        assert_eq!(rc, 0, "dockerd did not stop within 30 s: {out:?}");
    }
    assert!(sh.finish().success(), "the workload shell exits 0");
    remove_cgroups(&made_cgroups);
    let rtname = rt.name;
    let alerts = ebpf_common::alerts_in(&lines);
    let of = |cid: &str| -> Vec<serde_json::Value> {
        alerts
            .iter()
            .filter(|a| a["output_fields"]["container.id"] == cid)
            .cloned()
            .collect()
    };

    let mut failures = Vec::new();
    for (slug, cid) in &runs {
        let (rule, expect) = scenario(slug);
        let expect: Vec<String> = expect
            .into_iter()
            .filter(|w| w != "parent=runc")
            .map(|w| w.replace("$CID12", cid))
            .collect();
        if matching(&of(cid), &rule, &expect) == 0 {
            failures.push(format!(
                "{slug}: no `{rule}` alert with {expect:?} (parent=runc left out); alerts of \
                 container {cid}: {:#?}",
                of(cid)
            ));
        }
    }
    let (shell_rule, _) = scenario("shell-in-container");
    if of(&benign).iter().any(|a| a["rule"] == shell_rule) {
        failures.push(format!(
            "shell-in-container benign (ls): `{shell_rule}` fired: {:#?}",
            of(&benign)
        ));
    }
    // A real runtime's own init (runc:[2:INIT]) mounts the container's file systems after it
    // joined the container's cgroup (about 60 mounts per container start): the default rules
    // leave it out (macro `container_runtime_init`), so none of those mounts alerts.
    let by_runtime = |a: &serde_json::Value| {
        a["output_fields"]["proc.name"]
            .as_str()
            .is_some_and(|n| n.starts_with("runc:"))
    };
    let runtime_mounts = alerts
        .iter()
        .filter(|a| by_runtime(a) && a["rule"] == "Mount from container")
        .count();
    if runtime_mounts != 0 {
        failures.push(format!(
            "`Mount from container` fired {runtime_mounts} times on runc's own init"
        ));
    }
    let seed_alerts: Vec<serde_json::Value> =
        of(&seed).into_iter().filter(|a| !by_runtime(a)).collect();
    let shell = matching(
        &seed_alerts,
        &shell_rule,
        &[
            "user=root".into(),
            "process=sh".into(),
            "command=sh terminal=".into(),
            format!("container_id={seed}"),
        ],
    );
    let read = matching(
        &seed_alerts,
        "Read sensitive file by untrusted program",
        &[
            "file=/etc/shadow".into(),
            "user=root".into(),
            "process=cat".into(),
            "parent=sh".into(),
            "command=cat /etc/shadow".into(),
            format!("container_id={seed}"),
        ],
    );
    if seed_alerts.len() != 2 || shell != 1 || read != 1 {
        failures.push(format!(
            "seed: {} alerts of container {seed}'s processes (want exactly the shell and the \
             shadow read): {seed_alerts:#?}",
            seed_alerts.len()
        ));
    }
    assert!(
        failures.is_empty() && seen_seed.is_some(),
        "{rtname}: {} container checks failed:\n{}\nevery alert: {alerts:#?}",
        failures.len(),
        failures.join("\n")
    );
    assert!(status.success(), "falco exits 0 on SIGTERM: {status}");
}
