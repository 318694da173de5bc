//! `falco-inspect --live --modern-bpf -w out.scap` on this host's kernel records a child's known
//! syscalls, and real sysdig (0.29.3, `sysdig -r`) reads the capture and prints those events
//! with the parameters the actions used: exec, open, read, write, chmod, rename, unlink,
//! connect. Root only (BPF); only the workload shell's tree is captured.

mod ebpf_common;

use std::io::Read as _;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ebpf_common::{require_root, Workload};

const FORMAT: &str = "%proc.name %evt.type %evt.dir %evt.args";

/// One event sysdig must print: process, type, and substrings of its arguments (exit events).
struct Want {
    proc: &'static str,
    ty: &'static str,
    args: Vec<String>,
}

fn want(proc: &'static str, ty: &'static str, args: &[&str]) -> Want {
    Want {
        proc,
        ty,
        args: args.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn sysdig_reads_an_ebpf_capture_with_the_right_parameters() {
    require_root("ebpf_capture_sysdig");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let cap = dir.path().join("out.scap");
    // A local listener for the child's connect (the test is not in the captured tree).
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        buf
    });

    let mut sh = Workload::start(dir.path());
    let mut inspect = Command::new(env!("CARGO_BIN_EXE_falco-inspect"))
        .args(["--live", "--modern-bpf", "-w"])
        .arg(&cap)
        .env("FALCO_EBPF_ONLY_TREE_OF", sh.pid().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco-inspect starts");
    let lines = ebpf_common::lines_of(&mut inspect);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.iter().any(|l: &String| l.contains("capturing to")) {
        assert!(
            Instant::now() < deadline,
            "falco-inspect did not start capturing: {seen:#?}"
        );
        if let Ok(l) = lines.recv_timeout(Duration::from_millis(100)) {
            seen.push(l);
        }
    }

    let actions = [
        format!("echo falco-ebpf-data > {d}/f"),
        format!("/bin/cat {d}/f"),
        // coreutils' cat copies with copy_file_range: dd reads and writes.
        format!("/bin/dd if={d}/f bs=64 count=1 status=none"),
        format!("/bin/chmod 640 {d}/f"),
        format!("/bin/mv {d}/f {d}/g"),
        format!("/bin/rm {d}/g"),
        format!("echo falco-ebpf-net | /bin/busybox nc 127.0.0.1 {port}"),
    ];
    for a in &actions {
        let (rc, out) = sh.run(a);
        assert_eq!(rc, 0, "`{a}`: {out:?}");
    }
    assert!(sh.finish().success(), "the workload shell exits 0");
    assert_eq!(
        server.join().expect("server"),
        "falco-ebpf-net\n",
        "what nc sent"
    );
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill on our own child's pid.
    unsafe { libc::kill(inspect.id() as i32, libc::SIGTERM) };
    let status = inspect.wait().expect("wait falco-inspect");
    while let Ok(l) = lines.recv_timeout(Duration::from_millis(300)) {
        seen.push(l);
    }
    assert!(status.success(), "falco-inspect: {status}: {seen:#?}");
    assert!(
        seen.iter().any(|l| l.contains("events written to")),
        "{seen:#?}"
    );

    let out = Command::new("sysdig")
        .arg("-r")
        .arg(&cap)
        .args(["-p", FORMAT])
        .output()
        .unwrap_or_else(|e| {
            panic!("sysdig is required for this test (apt-get install sysdig): {e}")
        });
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !printed.is_empty(),
        "sysdig -r {}: {}\n{}",
        cap.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<&str> = printed.lines().collect();

    let wants = [
        // The shell's builtin echo writes the file.
        want(
            "sh",
            "openat",
            &[&format!("name={d}/f"), "O_CREAT", "O_WRONLY"],
        ),
        want("sh", "write", &["res=16", "data=falco-ebpf-data."]),
        want(
            "cat",
            "execve",
            &["res=0", "exe=/bin/cat", &format!("args={d}/f.")],
        ),
        want(
            "cat",
            "openat",
            &[
                &format!("(<f>{d}/f)"),
                &format!("name={d}/f"),
                "flags=1(O_RDONLY)",
            ],
        ),
        want("dd", "read", &["res=16", "data=falco-ebpf-data."]),
        want("dd", "write", &["res=16", "data=falco-ebpf-data."]),
        want(
            "chmod",
            "fchmodat",
            &["res=0", &format!("filename={d}/f"), "mode=0640("],
        ),
        want(
            "mv",
            "renameat2",
            &[
                "res=0",
                &format!("oldpath={d}/f"),
                &format!("newpath={d}/g"),
            ],
        ),
        want("rm", "unlinkat", &["res=0", &format!("name={d}/g")]),
        // `busybox nc`: the process is busybox (argv[0]).
        want(
            "busybox",
            "connect",
            &["res=0", &format!("->127.0.0.1:{port}")],
        ),
        want("busybox", "write", &["res=15", "data=falco-ebpf-net."]),
    ];
    let mut missing = Vec::new();
    for w in &wants {
        let prefix = format!("{} {} < ", w.proc, w.ty);
        let hit = events
            .iter()
            .any(|l| l.starts_with(&prefix) && w.args.iter().all(|a| l.contains(a.as_str())));
        if !hit {
            let near: Vec<&&str> = events.iter().filter(|l| l.starts_with(&prefix)).collect();
            missing.push(format!(
                "{prefix}{:?}\n    sysdig printed for {} {}: {near:#?}",
                w.args, w.proc, w.ty
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "sysdig did not print these events of the capture ({} events printed):\n{}",
        events.len(),
        missing.join("\n")
    );
}
