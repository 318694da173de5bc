//! Real container runtimes started by the tests, each on private sockets and data roots
//! under one scratch directory, stopped (with their containers) when dropped; images come
//! from a local busybox root filesystem, never from a registry.
//!
//! Measured on this host: dockerd with `--bridge=none --iptables=false` and low ulimits,
//! podman with `--runtime runc` (crun fails on hybrid cgroups) and cgroupfs, containerd
//! 1.6's CRI plugin with runc, cgroupfs and host-network pods (no CNI).

#![allow(dead_code)]

pub mod cri;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Fails the test with a clear message unless running as root with `tools` on the PATH.
pub fn require(tools: &[&str]) {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test starts container runtimes and needs root"
    );
    for t in tools {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "`{t}` is not installed: run scripts/test-deps (Debian packages docker.io, podman, containerd, runc)"
        );
    }
}

/// A scratch directory removed at the end (mounts under it are unmounted first).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let p = PathBuf::from(format!("/tmp/fct-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch directory");
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("FCT_KEEP").is_some() {
            return;
        }
        // Overlay and shm mounts the runtimes left behind, deepest first.
        if let Ok(m) = std::fs::read_to_string("/proc/self/mounts") {
            let mut mine: Vec<&str> = m
                .lines()
                .filter_map(|l| l.split(' ').nth(1))
                .filter(|p| p.starts_with(self.0.to_str().unwrap_or("\u{0}")))
                .collect();
            mine.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for p in mine {
                let _ = Command::new("umount").arg("-l").arg(p).status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd`, panics with its output when it fails, returns its stdout trimmed.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits up to `secs` for `f` to hold.
pub fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// A busybox root filesystem with a shell, `cat`, `sleep` and an `/etc/shadow`.
pub fn rootfs(dir: &Path) -> PathBuf {
    let r = dir.join("rootfs");
    std::fs::create_dir_all(r.join("bin")).unwrap();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::create_dir_all(r.join("tmp")).unwrap();
    std::fs::copy("/bin/busybox", r.join("bin/busybox"))
        .expect("/bin/busybox (Debian busybox-static) is needed for the test image");
    for c in ["sh", "cat", "sleep", "ls", "true"] {
        std::os::unix::fs::symlink("busybox", r.join("bin").join(c)).unwrap();
    }
    std::fs::write(r.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(r.join("etc/shadow"), "root:*:19000:0:99999:7:::\n").unwrap();
    r
}

/// `GET /_ping` over a Docker-API unix socket answers 200.
pub fn ping(sock: &Path) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(sock) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).contains(" 200 "),
        Err(_) => false,
    }
}

fn kill(child: &mut Child) {
    // SAFETY: kill(2) on a child we started and have not reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let end = Instant::now() + Duration::from_secs(15);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// dockerd on a private socket and data root.
/// `<cli> import` of `rootfs` as `image` (docker and podman take the same arguments): a tar
/// of the tree beside it, the image's command a long sleep.
fn import_rootfs(mut cli: Command, rootfs: &Path, image: &str) {
    let tar = rootfs
        .parent()
        .unwrap()
        .join(format!("{}.tar", image.replace(['/', ':'], "_")));
    run(Command::new("tar")
        .arg("-C")
        .arg(rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg("."));
    run(cli
        .args(["import", "--change", r#"CMD ["/bin/sleep","100000"]"#])
        .arg(&tar)
        .arg(image));
}

/// `<cli> inspect` of one object, as JSON.
fn inspect_json(mut cli: Command, what: &str) -> serde_json::Value {
    let out = run(cli.args(["inspect", what]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

pub struct Docker {
    pub dir: PathBuf,
    pub sock: PathBuf,
    child: Option<Child>,
}

impl Docker {
    pub fn start(dir: &Path) -> Docker {
        let d = dir.join("docker");
        std::fs::create_dir_all(&d).unwrap();
        let mut x = Docker {
            sock: d.join("docker.sock"),
            dir: d,
            child: None,
        };
        x.spawn();
        x
    }

    fn spawn(&mut self) {
        let d = &self.dir;
        let log = std::fs::File::create(d.join("log")).unwrap();
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(d.join("root"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("pid"))
            .arg("-H")
            .arg(format!("unix://{}", self.sock.display()))
            .args(["--bridge=none", "--iptables=false", "--ip-masq=false"])
            .args([
                "--default-ulimit",
                "nofile=1024:1024",
                "--default-ulimit",
                "nproc=1024:1024",
            ])
            .args([
                "--containerd-namespace",
                "fct",
                "--containerd-plugins-namespace",
                "fctp",
            ])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("dockerd");
        self.child = Some(child);
        let sock = self.sock.clone();
        wait_for(60, "dockerd to answer", || {
            Command::new("docker")
                .env("DOCKER_HOST", format!("unix://{}", sock.display()))
                .arg("version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        });
    }

    pub fn cli(&self) -> Command {
        let mut c = Command::new("docker");
        c.env("DOCKER_HOST", format!("unix://{}", self.sock.display()));
        c
    }

    /// Stops dockerd (its containers keep running: live-restore is off, so dockerd stops
    /// them; the test restarts it and runs new ones).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            kill(&mut c);
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// `docker import` of `rootfs` as `image` with `sleep` as its command.
    pub fn import(&self, rootfs: &Path, image: &str) {
        import_rootfs(self.cli(), rootfs, image);
    }

    /// `docker inspect` of one object, as JSON.
    pub fn inspect(&self, what: &str) -> serde_json::Value {
        inspect_json(self.cli(), what)
    }
}

impl Drop for Docker {
    fn drop(&mut self) {
        if self.child.is_some() {
            let ids = self.cli().args(["ps", "-aq"]).output().ok();
            if let Some(o) = ids {
                for id in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = self.cli().args(["rm", "-f", id]).output();
                }
            }
        }
        self.stop();
    }
}

/// Podman with private storage, its Docker-compatible API service on a private socket.
pub struct Podman {
    pub dir: PathBuf,
    pub sock: PathBuf,
    child: Option<Child>,
}

impl Podman {
    pub fn start(dir: &Path) -> Podman {
        let d = dir.join("podman");
        std::fs::create_dir_all(&d).unwrap();
        let mut p = Podman {
            sock: d.join("podman.sock"),
            dir: d,
            child: None,
        };
        let log = std::fs::File::create(p.dir.join("log")).unwrap();
        let child = p
            .cli()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", p.sock.display()))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("podman system service");
        p.child = Some(child);
        let sock = p.sock.clone();
        // The service sets its runtime up on the first request, which can take seconds:
        // done here, so the tests measure the engine, not that start-up.
        wait_for(60, "the podman API to answer /_ping", || ping(&sock));
        p
    }

    pub fn cli(&self) -> Command {
        let d = &self.dir;
        let mut c = Command::new("podman");
        c.arg("--root")
            .arg(d.join("root"))
            .arg("--runroot")
            .arg(d.join("run"))
            .args([
                "--runtime",
                "runc",
                "--cgroup-manager",
                "cgroupfs",
                "--events-backend",
                "file",
            ])
            .arg("--tmpdir")
            .arg(d.join("tmp"))
            .arg("--network-config-dir")
            .arg(d.join("net"));
        c
    }

    /// `podman run -d` of `image` named `name` with `labels` (`k=v`), no network and the
    /// ulimits this host needs; returns the container's full id.
    pub fn run_detached(&self, name: &str, labels: &[&str], image: &str) -> String {
        let mut c = self.cli();
        c.args(["run", "-d", "--name", name, "--network", "none"]);
        for l in labels {
            c.args(["--label", l]);
        }
        c.args([
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
        ])
        .arg(image);
        run(&mut c)
    }

    pub fn import(&self, rootfs: &Path, image: &str) {
        import_rootfs(self.cli(), rootfs, image);
    }

    pub fn inspect(&self, what: &str) -> serde_json::Value {
        inspect_json(self.cli(), what)
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.cli().args(["rm", "-f", "-a", "-t", "0"]).output();
        if let Some(mut c) = self.child.take() {
            kill(&mut c);
        }
    }
}

/// containerd with its CRI plugin on a private socket and root; pods use the host network
/// (no CNI), images are imported with `ctr` from a `docker save`.
pub struct Containerd {
    pub dir: PathBuf,
    pub sock: PathBuf,
    child: Option<Child>,
}

impl Containerd {
    pub fn start(dir: &Path, sandbox_image: &str) -> Containerd {
        let d = dir.join("ctrd");
        std::fs::create_dir_all(&d).unwrap();
        let sock = d.join("containerd.sock");
        let cfg = format!(
            r#"version = 2
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[debug]
  address = "{d}/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{sandbox_image}"
  # The sandbox asks for oom_score_adj -998, which this unprivileged-ish host refuses.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni-bin"
    conf_dir = "{d}/cni-conf"
"#,
            root = d.join("root").display(),
            state = d.join("state").display(),
            sock = sock.display(),
            d = d.display(),
        );
        std::fs::write(d.join("config.toml"), cfg).unwrap();
        let log = std::fs::File::create(d.join("log")).unwrap();
        let child = Command::new("containerd")
            .arg("--config")
            .arg(d.join("config.toml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("containerd");
        let c = Containerd {
            dir: d,
            sock,
            child: Some(child),
        };
        let s = c.sock.clone();
        wait_for(30, "the containerd socket", || s.exists());
        c
    }

    pub fn ctr(&self) -> Command {
        let mut c = Command::new("ctr");
        c.arg("-a").arg(&self.sock).args(["-n", "k8s.io"]);
        c
    }

    /// Imports images a Docker daemon has (`docker save` then `ctr images import`).
    pub fn import_from(&self, docker: &Docker, images: &[&str]) {
        let tar = self.dir.join("images.tar");
        run(docker.cli().arg("save").arg("-o").arg(&tar).args(images));
        run(self.ctr().args(["images", "import"]).arg(&tar));
    }

    /// Removes every task and container left (the shims outlive containerd otherwise).
    pub fn cleanup(&self) {
        if let Ok(o) = self.ctr().args(["containers", "ls", "-q"]).output() {
            for id in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                let _ = self
                    .ctr()
                    .args(["tasks", "kill", "-s", "SIGKILL", id])
                    .output();
            }
            std::thread::sleep(Duration::from_millis(300));
            for id in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                let _ = self.ctr().args(["tasks", "rm", "-f", id]).output();
                let _ = self.ctr().args(["containers", "rm", id]).output();
            }
        }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        self.cleanup();
        if let Some(mut c) = self.child.take() {
            kill(&mut c);
        }
    }
}
