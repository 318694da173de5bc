//! Every rule scenario of `tests/scenarios/` gives, live through the modern eBPF driver on this
//! host's kernel, the verdict recorded for the kernel module in the qemu guest
//! (`tests/scenarios/captures/live-results.txt`): each trigger raises its rule with the EXPECT
//! fields, each benign twin stays silent, the seed scenario raises exactly its two alerts, and
//! a 60 s benign workload raises none.
//!
//! The guest's own steps run (`guest.sh`: `scenarios_live`, `scenario_seed`,
//! `benign_workload`), unchanged, in a sandbox laid out like the guest's initramfs:
//! `tests/scenarios/host.sh` makes it the root of private mount and network namespaces (the
//! scenarios add addresses to lo, mount, write below /etc and /root, and start web servers),
//! and the engine captures that sandbox's process tree only. "Containers" are what they are in
//! the guest: the scenario helper as runc (namespaces, a docker-style cgroup2 cgroup; both
//! drivers report a task's cgroup2 path, see host.sh). Root only.

mod ebpf_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ebpf_common::{require_root, ringreader_example, REPO};

/// The parent of the docker-style cgroup the scenarios' runc joins (lib.sh's CG) in this
/// host's cgroup2 mount (/sys/fs/cgroup/unified on a hybrid host like this one).
fn slice() -> PathBuf {
    let mounts = std::fs::read_to_string("/proc/self/mounts").expect("/proc/self/mounts");
    let root = mounts
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == "cgroup2")
        .map(|f| f[1].to_string())
        .expect("cgroup2 is mounted on this host");
    PathBuf::from(root).join("system.slice")
}
const SCOPE: &str = "docker-5ce7a710c0ffee00112233445566778899aabbccddeeff001122334455667788.scope";

fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) {
    let (from, to) = (from.as_ref(), to.as_ref());
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copy {} -> {}: {e}", from.display(), to.display()));
}

/// The guest's initramfs, as a directory: busybox, the engine, the default rules, the guest's
/// falco.yaml on the eBPF driver, the scenarios and their helper.
fn lay_out_root(root: &Path, helper: &Path) {
    for d in [
        "bin",
        "sbin",
        "usr/bin",
        "usr/sbin",
        "usr/lib",
        "lib64",
        "proc",
        "sys",
        "dev",
        "tmp",
        "etc",
        "root",
        "scenarios",
    ] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).expect("lib link");
    let busybox = std::fs::canonicalize("/bin/busybox")
        .expect("busybox is required for the scenarios (apt-get install busybox-static)");
    copy(busybox, root.join("bin/busybox"));
    copy(env!("CARGO_BIN_EXE_falco"), root.join("falco"));
    copy(
        env!("CARGO_BIN_EXE_falco-inspect"),
        root.join("falco-inspect"),
    );
    copy(
        format!("{REPO}/rules/falco_rules.yaml"),
        root.join("falco_rules.yaml"),
    );
    let conf = std::fs::read_to_string(format!("{REPO}/tests/kmod/engine-falco.yaml"))
        .expect("engine-falco.yaml");
    assert!(conf.contains("kind: kmod"), "{conf}");
    std::fs::write(
        root.join("engine-falco.yaml"),
        conf.replace("kind: kmod", "kind: modern_ebpf"),
    )
    .expect("write engine-falco.yaml");
    for e in std::fs::read_dir(format!("{REPO}/tests/scenarios")).expect("scenarios") {
        let p = e.expect("entry").path();
        if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("sh") | Some("yaml")
        ) {
            copy(
                &p,
                root.join("scenarios").join(p.file_name().expect("name")),
            );
        }
    }
    copy(helper, root.join("scenarios/scenario-helper"));
}

/// Ends every process left in the sandbox's network namespace (the web servers scenario_env
/// starts as daemons), by pid; returns how many.
fn end_sandbox_processes(netns: &str) -> usize {
    let own = std::fs::read_link("/proc/self/ns/net").expect("own netns");
    assert_ne!(own.to_string_lossy(), netns, "sandbox netns is the test's");
    let mut n = 0;
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_link(e.path().join("ns/net")).is_ok_and(|l| l.to_string_lossy() == netns) {
            // SAFETY: kill on one pid found in the sandbox's own network namespace.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            n += 1;
        }
    }
    n
}

/// Removes the docker-style cgroup (and system.slice when this test made it), once empty.
fn remove_cgroups(made_slice: bool) {
    let scope = slice().join(SCOPE);
    for _ in 0..50 {
        if !scope.exists() || std::fs::remove_dir(&scope).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if made_slice {
        let _ = std::fs::remove_dir(slice());
    }
}

#[test]
fn scenarios_give_the_module_verdicts_through_ebpf() {
    require_root("ebpf_scenarios");
    for tool in ["unshare", "pivot_root"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            "{tool} (util-linux) is required"
        );
    }
    let helper = ringreader_example("scenario-helper");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    lay_out_root(&root, &helper);
    let made_slice = !slice().exists();

    let mut child = Command::new("unshare")
        .args(["--mount", "--net", "--uts", "--ipc", "/bin/sh"])
        .arg(format!("{REPO}/tests/scenarios/host.sh"))
        .arg(&root)
        .args(["scenarios_live", "scenario_seed", "benign_workload 62"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare starts");
    let lines = ebpf_common::lines_of(&mut child);
    let mut out: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        while let Ok(l) = lines.recv_timeout(Duration::from_millis(100)) {
            out.push(l);
        }
        if let Some(st) = child.try_wait().expect("wait sandbox") {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
    };
    while let Ok(l) = lines.recv_timeout(Duration::from_millis(300)) {
        out.push(l);
    }
    let netns = out
        .iter()
        .find_map(|l| l.strip_prefix("=== host sandbox pid "))
        .and_then(|l| l.split_once(' ').map(|(_, ns)| ns.to_string()));
    if let Some(ns) = &netns {
        end_sandbox_processes(ns);
    }
    remove_cgroups(made_slice);
    let report = out.join("\n");
    println!("{report}");
    let status = status.unwrap_or_else(|| panic!("the scenarios did not end within 10 min"));
    assert!(netns.is_some(), "the sandbox did not start: {report}");

    // The module's verdicts, as recorded in the guest.
    let recorded =
        std::fs::read_to_string(format!("{REPO}/tests/scenarios/captures/live-results.txt"))
            .expect("live-results.txt");
    let mut differ = Vec::new();
    let mut compared = 0;
    for want in recorded.lines().filter(|l| l.starts_with("LIVE ")) {
        compared += 1;
        let slug = want.split(':').next().unwrap_or(want);
        let got = out.iter().find(|l| l.starts_with(&format!("{slug}:")));
        if got.map(String::as_str) != Some(want) {
            differ.push(format!(
                "module: {want}\n  eBPF:   {}",
                got.map_or("(no verdict)", |s| s.as_str())
            ));
        }
    }
    assert!(compared >= 24, "recorded verdicts: {compared}");
    let seed_want = recorded
        .lines()
        .find(|l| l.starts_with("seed: "))
        .expect("recorded seed verdict");
    let seed_got = out.iter().find(|l| l.starts_with("seed: "));
    if seed_got.map(String::as_str) != Some(seed_want) {
        differ.push(format!("module: {seed_want}\n  eBPF:   {seed_got:?}"));
    }
    let benign = out.iter().find(|l| l.starts_with("benign workload: "));
    if !benign.is_some_and(|l| {
        l.contains(" 0 alerts during it") && l.ends_with("canary alert after it rc=0")
    }) {
        differ.push(format!(
            "module: benign workload: 0 alerts during it, canary alert after it rc=0\n  eBPF:   {benign:?}"
        ));
    }
    let results: Vec<&String> = out.iter().filter(|l| l.starts_with("=== RESULT")).collect();
    assert!(
        differ.is_empty(),
        "{} verdicts differ from the module's:\n{}\nstep results: {results:?}",
        differ.len(),
        differ.join("\n")
    );
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results.iter().all(|l| l.ends_with(" rc=0")), "{results:?}");
    assert!(status.success(), "sandbox exit: {status}");
}
