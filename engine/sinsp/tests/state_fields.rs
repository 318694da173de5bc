//! State transitions and field values on synthetic events, one table: each step is an event
//! followed by the fields to check on it (`<NA>` = no value), printed as in Falco's text
//! outputs.

mod common;

use common::{event, P};
use falco_rules::field::{FieldArg, FieldCatalog};
use falco_sinsp::fields::{EventContext, JsonValue, Scratch, SyscallCatalog};
use falco_sinsp::state::{Bootstrap, FdInfo, FdKind, State, StateLimits, ThreadInfo, UserInfo};
use ringbuf_abi::{ids, Record};

fn tuple4(a: [u8; 4], ap: u16, b: [u8; 4], bp: u16) -> Vec<u8> {
    let mut v = vec![2u8];
    v.extend_from_slice(&a);
    v.extend_from_slice(&ap.to_le_bytes());
    v.extend_from_slice(&b);
    v.extend_from_slice(&bp.to_le_bytes());
    v
}

fn tuple_unix(src: u64, dst: u64, path: &str) -> Vec<u8> {
    let mut t = vec![1u8];
    t.extend_from_slice(&src.to_le_bytes());
    t.extend_from_slice(&dst.to_le_bytes());
    t.extend_from_slice(path.as_bytes());
    t.push(0);
    t
}

fn bootstrap() -> State {
    let thread = |tid: i64, ptid: i64, comm: &str, args: &[&str]| ThreadInfo {
        tid,
        pid: tid,
        ptid,
        sid: tid,
        vpgid: tid,
        comm: comm.into(),
        exe: comm.into(),
        exepath: format!("/usr/bin/{comm}"),
        args: args.iter().map(|s| s.to_string()).collect(),
        cwd: "/root".into(),
        loginuid: u32::MAX,
        vtid: tid,
        vpid: tid,
        cgroups: vec![("cpu".into(), "/".into())],
        clone_ts: 1_000,
        ..ThreadInfo::default()
    };
    let mut docker = thread(300, 1, "sh", &["-i"]);
    docker.cgroups = vec![(
        "cpu".into(),
        format!("/docker/{}", "fdf62e2d9b0a".repeat(5) + "abcd"),
    )];
    docker.vtid = 1;
    docker.vpid = 1;
    let b = Bootstrap {
        threads: vec![
            thread(1, 0, "init", &[]),
            thread(100, 1, "bash", &["-i"]),
            docker,
        ],
        fds: vec![(
            100,
            FdInfo {
                fd: 0,
                kind: FdKind::File,
                name: "/dev/pts/0".into(),
                ..FdInfo::default()
            },
        )],
        users: vec![UserInfo {
            uid: 0,
            gid: 0,
            name: "root".into(),
            homedir: "/root".into(),
            shell: "/bin/bash".into(),
        }],
        groups: vec![falco_sinsp::state::GroupInfo {
            gid: 0,
            name: "root".into(),
        }],
        hostname: "capture-vm".into(),
        boot_ts: 0,
        // The machine's own address: the client end of its connections is the local one.
        // ::1 makes unconnected IPv6 sockets servers, as in libs (see the last steps).
        interfaces: vec![
            falco_sinsp::state::IpAddr::V4([10, 0, 2, 15]),
            falco_sinsp::state::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST.octets()),
        ],
    };
    State::bootstrap(b, StateLimits::default())
}

/// Processes `rec` and returns the text of each field (`<NA>` when absent).
fn fields(st: &mut State, rec: &[u8], names: &[&str]) -> Vec<String> {
    let cat = SyscallCatalog::new();
    let r = Record::parse(rec).expect("valid record");
    st.process(r, 1);
    let mut scratch = Scratch::default();
    let mut ctx = EventContext::new(st, r, 1, &mut scratch);
    names
        .iter()
        .map(|n| {
            let (name, arg) = match n.split_once('[') {
                Some((a, b)) => (
                    a,
                    Some(FieldArg::Index(
                        b.trim_end_matches(']').parse().expect("index"),
                    )),
                ),
                None => (*n, None),
            };
            let f = cat
                .resolve(name, arg.as_ref())
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            let mut out = String::new();
            if !ctx.format_field(&f, &mut out) {
                out.push_str("<NA>");
            }
            out
        })
        .collect()
}

/// One event and the fields to check after it: (field, text as Falco prints it).
struct Step {
    rec: Vec<u8>,
    checks: &'static [(&'static str, &'static str)],
}

/// Processes each step's event in order and checks its fields, naming the step that differs.
fn run_steps(st: &mut State, steps: &[Step]) {
    for (i, step) in steps.iter().enumerate() {
        let names: Vec<&str> = step.checks.iter().map(|(n, _)| *n).collect();
        let got = fields(st, &step.rec, &names);
        for ((name, want), got) in step.checks.iter().zip(&got) {
            assert_eq!(got, want, "step {i}: {name}");
        }
    }
}

#[test]
fn process_lifecycle_and_fds() {
    let mut st = bootstrap();
    let dir_flags = 1u32 << 10 | 1;
    let steps = [
        // The parent's half of fork: the child appears as a copy of bash with its fds.
        Step {
            rec: event(
                ids::PPME_SYSCALL_CLONE_20_X,
                2_000,
                100,
                &[
                    ("res", P::I64(200)),
                    ("exe", P::Str("bash")),
                    ("args", P::Bytes(b"-i\0")),
                    ("tid", P::I64(100)),
                    ("pid", P::I64(100)),
                    ("ptid", P::I64(1)),
                    ("cwd", P::Str("/root")),
                    ("comm", P::Str("bash")),
                    ("flags", P::U32(0)),
                ],
            ),
            checks: &[
                ("proc.name", "bash"),
                ("proc.pid", "100"),
                ("evt.type", "clone"),
                ("evt.res", "SUCCESS"),
                ("evt.rawres", "200"),
            ],
        },
        // The child's half.
        Step {
            rec: event(
                ids::PPME_SYSCALL_CLONE_20_X,
                2_100,
                200,
                &[
                    ("res", P::I64(0)),
                    ("exe", P::Str("bash")),
                    ("args", P::Bytes(b"-i\0")),
                    ("tid", P::I64(200)),
                    ("pid", P::I64(200)),
                    ("ptid", P::I64(100)),
                    ("cwd", P::Str("/root")),
                    ("comm", P::Str("bash")),
                    ("flags", P::U32(0)),
                    ("vtid", P::I64(200)),
                    ("vpid", P::I64(200)),
                ],
            ),
            checks: &[
                ("proc.pid", "200"),
                ("proc.ppid", "100"),
                ("proc.pname", "bash"),
                ("proc.aname[2]", "init"),
                ("proc.aname[3]", "<NA>"),
                ("proc.duration", "100"),
                ("fd.num", "<NA>"),
            ],
        },
        // execve: name, args, exepath from the filename, caps, exe flags.
        Step {
            rec: event(
                ids::PPME_SYSCALL_EXECVE_19_X,
                3_000,
                200,
                &[
                    ("res", P::I64(0)),
                    ("exe", P::Str("cat")),
                    ("args", P::Bytes(b"/etc/shadow\0")),
                    ("tid", P::I64(200)),
                    ("pid", P::I64(200)),
                    ("ptid", P::I64(100)),
                    ("cwd", P::Str("/root")),
                    ("comm", P::Str("a-very-long-com")),
                    ("env", P::Bytes(b"HOME=/root\0TERM=xterm\0")),
                    ("tty", P::U32(34816)),
                    ("loginuid", P::U32(1000)),
                    ("flags", P::U32(1)),
                    ("cap_permitted", P::U64(1 << 21 | 1)),
                    ("uid", P::U32(0)),
                    ("filename", P::Str("/bin/cat")),
                ],
            ),
            checks: &[
                ("proc.name", "a-very-long-com"),
                ("proc.exe", "cat"),
                ("proc.exepath", "/bin/cat"),
                ("proc.args", "/etc/shadow"),
                ("proc.cmdline", "a-very-long-com /etc/shadow"),
                ("proc.pcmdline", "bash -i"),
                ("proc.tty", "34816"),
                ("user.name", "root"),
                ("user.loginuid", "1000"),
                ("thread.cap_permitted", "CAP_CHOWN CAP_SYS_ADMIN"),
                ("evt.arg.flags", "EXE_WRITABLE"),
                ("proc.env", "HOME=/root TERM=xterm"),
                ("container.id", "host"),
                ("container.name", "host"),
                // The container plugin's host entry: a name, empty image fields.
                ("container.image.repository", ""),
            ],
        },
        // openat relative to the cwd.
        Step {
            rec: event(
                ids::PPME_SYSCALL_OPENAT_2_X,
                4_000,
                200,
                &[
                    ("fd", P::I64(3)),
                    ("dirfd", P::I64(-100)),
                    ("name", P::Str("notes/../x.txt")),
                    ("flags", P::U32(1)),
                    ("mode", P::U32(0)),
                ],
            ),
            checks: &[
                ("fd.num", "3"),
                ("fd.name", "/root/x.txt"),
                ("fd.directory", "/root"),
                ("fd.filename", "x.txt"),
                ("fd.typechar", "f"),
                ("fd.type", "file"),
                ("fd.nameraw", "notes/../x.txt"),
                ("evt.is_open_read", "true"),
                ("evt.is_open_write", "false"),
                ("evt.arg.dirfd", "AT_FDCWD"),
                (
                    "evt.args",
                    concat!(
                        "fd=3(<f>/root/x.txt) dirfd=-100(AT_FDCWD) ",
                        "name=notes/../x.txt(/root/x.txt) ",
                        // Empty fixed-size parameters read <NA> in libs 0.25.
                        "flags=1(O_RDONLY) mode=0 dev=<NA> ino=<NA>"
                    ),
                ),
            ],
        },
        // A directory fd, then openat relative to it.
        Step {
            rec: event(
                ids::PPME_SYSCALL_OPENAT_2_X,
                5_000,
                200,
                &[
                    ("fd", P::I64(4)),
                    ("dirfd", P::I64(-100)),
                    ("name", P::Str("/etc")),
                    ("flags", P::U32(dir_flags)),
                ],
            ),
            checks: &[
                ("fd.type", "directory"),
                ("fd.typechar", "d"),
                ("fd.directory", "/etc"),
                ("fd.filename", "<NA>"),
            ],
        },
        Step {
            rec: event(
                ids::PPME_SYSCALL_OPENAT_2_X,
                6_000,
                200,
                &[
                    ("fd", P::I64(5)),
                    ("dirfd", P::I64(4)),
                    ("name", P::Str("passwd")),
                    ("flags", P::U32(2)),
                ],
            ),
            checks: &[
                ("fd.name", "/etc/passwd"),
                ("evt.is_open_write", "true"),
                ("evt.arg.dirfd", "<d>/etc"),
                ("evt.arg.name", "/etc/passwd"),
            ],
        },
        // dup2 copies the fd.
        Step {
            rec: event(
                ids::PPME_SYSCALL_DUP2_X,
                7_000,
                200,
                &[
                    ("res", P::I64(7)),
                    ("oldfd", P::I64(5)),
                    ("newfd", P::I64(7)),
                ],
            ),
            checks: &[("fd.num", "7"), ("fd.name", "/etc/passwd")],
        },
        // close: the closing event still sees the fd.
        Step {
            rec: event(
                ids::PPME_SYSCALL_CLOSE_X,
                8_000,
                200,
                &[("res", P::I64(0)), ("fd", P::I64(5))],
            ),
            checks: &[("fd.name", "/etc/passwd"), ("evt.res", "SUCCESS")],
        },
        // ...and the next one does not.
        Step {
            rec: event(
                ids::PPME_SYSCALL_FCHMOD_X,
                9_000,
                200,
                &[
                    ("res", P::I64(-2)),
                    ("fd", P::I64(5)),
                    ("mode", P::U32(0o4755)),
                ],
            ),
            checks: &[
                // No fd entry: libs 0.25's `extract_fdname_from_event` names nothing (empty),
                // as the Falco 0.44.1 listings print it.
                ("fd.name", ""),
                ("fd.num", "5"),
                ("evt.res", "ENOENT"),
                ("evt.rawres", "-2"),
                ("evt.failed", "true"),
                (
                    "evt.arg.mode",
                    "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID",
                ),
            ],
        },
        // socket + connect: the tuple names the fd.
        Step {
            rec: event(
                ids::PPME_SOCKET_SOCKET_X,
                10_000,
                200,
                &[
                    ("fd", P::I64(6)),
                    ("domain", P::U32(2)),
                    ("type", P::U32(1)),
                    ("proto", P::U32(0)),
                ],
            ),
            // libs' get_l4proto: no protocol until the socket is a client or a server.
            checks: &[
                ("fd.type", "ipv4"),
                ("fd.typechar", "4"),
                ("fd.l4proto", "<NA>"),
                ("fd.sockfamily", "ip"),
                ("fd.name", ""),
            ],
        },
        Step {
            rec: event(
                ids::PPME_SOCKET_CONNECT_X,
                11_000,
                200,
                &[
                    ("res", P::I64(0)),
                    (
                        "tuple",
                        P::Bytes(&tuple4([10, 0, 2, 15], 40000, [10, 0, 2, 100], 80)),
                    ),
                    ("fd", P::I64(6)),
                ],
            ),
            checks: &[
                ("fd.name", "10.0.2.15:40000->10.0.2.100:80"),
                ("fd.cip", "10.0.2.15"),
                ("fd.sip", "10.0.2.100"),
                ("fd.lport", "40000"),
                ("fd.rport", "80"),
                ("fd.lip", "10.0.2.15"),
                ("fd.rip", "10.0.2.100"),
                ("fd.is_server", "false"),
                ("fd.name_changed", "true"),
                ("fd.connected", "true"),
                ("fd.l4proto", "tcp"),
                ("fd.cproto", "40000"),
            ],
        },
        // setuid changes the user.
        Step {
            rec: event(
                ids::PPME_SYSCALL_SETUID_X,
                12_000,
                200,
                &[("res", P::I64(0)), ("uid", P::U32(65534))],
            ),
            checks: &[
                ("user.uid", "65534"),
                ("user.name", "<NA>"),
                ("user.loginname", "<NA>"),
            ],
        },
        // chdir updates the cwd (with libsinsp's trailing slash).
        Step {
            rec: event(
                ids::PPME_SYSCALL_CHDIR_X,
                13_000,
                200,
                &[("res", P::I64(0)), ("path", P::Str("../tmp"))],
            ),
            checks: &[("proc.cwd", "/tmp/")],
        },
        // ptrace as the kernel module writes it: addr/data are PT_DYN (index byte, then the
        // value in the type it selects); printed as sysdig 0.29 prints them (uppercase hex,
        // signals resolved), plus the request and pid it does not know.
        Step {
            rec: event(
                ids::PPME_SYSCALL_PTRACE_X,
                13_100,
                200,
                &[
                    ("res", P::I64(0)),
                    (
                        "addr",
                        P::Bytes(&[0, 0x78, 0x56, 0x34, 0x12, 0xfd, 0x7f, 0, 0]),
                    ),
                    ("data", P::Bytes(&[0, 0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0])),
                    ("request", P::U16(3)),
                    ("pid", P::I64(100)),
                ],
            ),
            checks: &[
                (
                    "evt.args",
                    concat!(
                        "res=0 addr=7FFD12345678 data=DEADBEEF ",
                        "request=3(PTRACE_PEEKDATA) pid=100(bash)"
                    ),
                ),
                ("evt.arg.request", "PTRACE_PEEKDATA"),
            ],
        },
        Step {
            rec: event(
                ids::PPME_SYSCALL_PTRACE_X,
                13_200,
                200,
                &[
                    ("res", P::I64(0)),
                    ("addr", P::Bytes(&[0, 0, 0, 0, 0, 0, 0, 0, 0])),
                    ("data", P::Bytes(&[1, 9])),
                    ("request", P::U16(8)),
                    ("pid", P::I64(100)),
                ],
            ),
            checks: &[
                (
                    "evt.args",
                    concat!(
                        "res=0 addr=0 data=9(SIGKILL) ",
                        "request=8(PTRACE_CONT) pid=100(bash)"
                    ),
                ),
                ("evt.arg.data", "SIGKILL"),
            ],
        },
        Step {
            rec: event(
                ids::PPME_SYSCALL_PTRACE_X,
                13_300,
                200,
                &[
                    ("res", P::I64(-1)),
                    ("addr", P::Bytes(&[0, 0, 0, 0, 0, 0, 0, 0, 0])),
                    ("data", P::Bytes(&[0, 0, 0, 0, 0, 0, 0, 0, 0])),
                    ("request", P::U16(1)),
                    ("pid", P::I64(0)),
                ],
            ),
            checks: &[
                (
                    "evt.args",
                    "res=-1(EPERM) addr=0 data=0 request=1(PTRACE_TRACEME) pid=0",
                ),
                ("evt.failed", "true"),
            ],
        },
        // The parent exits: its child is reparented to the reaper.
        Step {
            rec: event(
                ids::PPME_PROCEXIT_1_E,
                14_000,
                100,
                &[("status", P::I64(0)), ("reaper_tid", P::I64(1))],
            ),
            checks: &[("proc.name", "bash")],
        },
        Step {
            rec: event(
                ids::PPME_SYSCALL_GETUID_X,
                15_000,
                200,
                &[("uid", P::U32(65534))],
            ),
            checks: &[
                ("proc.ppid", "1"),
                ("proc.pname", "init"),
                ("proc.aname[1]", "init"),
                ("proc.aname[2]", "<NA>"),
                ("evt.num", "18"),
            ],
        },
        // A process in a container cgroup.
        Step {
            rec: event(
                ids::PPME_SYSCALL_GETUID_X,
                16_000,
                300,
                &[("uid", P::U32(0))],
            ),
            checks: &[
                ("container.id", "fdf62e2d9b0a"),
                ("container.name", "<NA>"),
                ("proc.vpid", "1"),
                ("proc.name", "sh"),
            ],
        },
        // Sockets with no peer keep libs' zeroed tuple: the server end of an IPv4 one is
        // 0.0.0.0 (not local), of an IPv6 one `::`, whose first 64 bits are ::1's (local).
        // Neither has a role yet, so no fd.cproto.
        Step {
            rec: event(
                ids::PPME_SOCKET_SOCKET_X,
                17_000,
                200,
                &[
                    ("fd", P::I64(9)),
                    ("domain", P::U32(10)),
                    ("type", P::U32(2)),
                    ("proto", P::U32(0)),
                ],
            ),
            checks: &[
                ("fd.type", "ipv6"),
                ("fd.is_server", "true"),
                ("fd.cproto", "<NA>"),
            ],
        },
        Step {
            rec: event(
                ids::PPME_SOCKET_SOCKET_X,
                17_100,
                200,
                &[
                    ("fd", P::I64(10)),
                    ("domain", P::U32(2)),
                    ("type", P::U32(2)),
                    ("proto", P::U32(0)),
                ],
            ),
            checks: &[
                ("fd.type", "ipv4"),
                ("fd.is_server", "false"),
                ("fd.cproto", "<NA>"),
            ],
        },
        // A unix socket gets the client role from connect: its fd.cproto is the empty string.
        Step {
            rec: event(
                ids::PPME_SOCKET_SOCKET_X,
                17_200,
                200,
                &[
                    ("fd", P::I64(11)),
                    ("domain", P::U32(1)),
                    ("type", P::U32(1)),
                    ("proto", P::U32(0)),
                ],
            ),
            checks: &[("fd.type", "unix"), ("fd.cproto", "<NA>")],
        },
        Step {
            rec: event(
                ids::PPME_SOCKET_CONNECT_X,
                17_300,
                200,
                &[
                    ("res", P::I64(0)),
                    ("tuple", P::Bytes(&tuple_unix(0xa1, 0xb2, "/run/x.sock"))),
                    ("fd", P::I64(11)),
                ],
            ),
            checks: &[
                ("fd.type", "unix"),
                ("fd.cproto", ""),
                ("fd.is_server", "false"),
                ("fd.name", "a1->b2 /run/x.sock"),
            ],
        },
    ];
    run_steps(&mut st, &steps);
    assert!(
        st.threads.get(100).is_none(),
        "procexit purges the thread at the next event"
    );
    assert!(st.fd_of(200, 5).is_none());
}

#[test]
fn json_values_are_typed_like_falcos() {
    let mut st = bootstrap();
    let rec = event(
        ids::PPME_SYSCALL_OPENAT_2_X,
        1_795_468_410_465_551_410,
        100,
        &[
            ("fd", P::I64(3)),
            ("dirfd", P::I64(-100)),
            ("name", P::Str("/etc/shadow")),
            ("flags", P::U32(1)),
        ],
    );
    let r = Record::parse(&rec).expect("valid");
    st.process(r, 0);
    let cat = SyscallCatalog::new();
    let mut scratch = Scratch::default();
    let mut ctx = EventContext::new(&st, r, 0, &mut scratch);
    let cases: &[(&str, JsonValue)] = &[
        ("evt.time", JsonValue::Uint(1_795_468_410_465_551_410)),
        ("proc.tty", JsonValue::Uint(0)),
        ("user.loginuid", JsonValue::Int(-1)),
        ("user.uid", JsonValue::Uint(0)),
        ("fd.name", JsonValue::Str("/etc/shadow".into())),
        ("container.name", JsonValue::Str("host".into())),
        ("proc.aname", JsonValue::Str("init".into())),
        ("k8s.ns.name", JsonValue::Null),
    ];
    for (name, want) in cases {
        let f = cat.resolve(name, None).expect("resolves");
        assert_eq!(&ctx.json_field(&f), want, "{name}");
    }
    let f = cat.resolve("evt.time", None).expect("resolves");
    let mut out = String::new();
    assert!(ctx.format_field(&f, &mut out));
    assert_eq!(out, "21:13:30.465551410");
    let mut json = String::new();
    JsonValue::Str("a\"b".into()).write_json(&mut json);
    assert_eq!(json, "\"a\\\"b\"");
}

#[test]
fn caps_on_threads_and_fds_are_counted() {
    let mut st = State::bootstrap(
        Bootstrap {
            threads: vec![ThreadInfo {
                tid: 1,
                pid: 1,
                comm: "init".into(),
                ..ThreadInfo::default()
            }],
            ..Bootstrap::default()
        },
        StateLimits {
            max_threads: 2,
            max_fds_per_process: 2,
        },
    );
    for (i, child) in [10i64, 11, 12].iter().enumerate() {
        let rec = event(
            ids::PPME_SYSCALL_CLONE_20_X,
            100 + i as u64,
            1,
            &[
                ("res", P::I64(*child)),
                ("tid", P::I64(1)),
                ("pid", P::I64(1)),
                ("ptid", P::I64(0)),
                ("flags", P::U32(0)),
            ],
        );
        let r = Record::parse(&rec).expect("valid");
        st.process(r, 0);
    }
    assert_eq!(st.threads.len(), 2);
    assert_eq!(st.threads.counters.dropped_full, 2);
    for fd in 3..6 {
        let rec = event(
            ids::PPME_SYSCALL_EVENTFD2_X,
            200 + fd as u64,
            1,
            &[("res", P::I64(fd))],
        );
        let r = Record::parse(&rec).expect("valid");
        st.process(r, 0);
    }
    assert_eq!(st.fdtable(1).map(|t| t.len()), Some(2));
    assert_eq!(st.fd_counters.dropped_full, 1);
}

/// execveat as the kernel module reports it: a failed call is an `execveat` exit that changes
/// nothing; a successful one arrives as an `execve` exit (libs' drivers on x86_64) whose
/// `filename` is `bprm->filename` (`/dev/fd/N` for an fd with AT_EMPTY_PATH) and whose
/// `trusted_exepath` names the file; an `execveat` exit with res 0 (s390x drivers) updates the
/// thread the same way. The exec flags give the overlayfs layer fields.
#[test]
fn execveat_updates_the_thread_like_execve() {
    let mut st = bootstrap();
    let steps = [
        Step {
            rec: event(
                ids::PPME_SYSCALL_EXECVEAT_X,
                2_000,
                100,
                &[
                    ("res", P::I64(-2)),
                    ("exe", P::Str("falco-missing")),
                    ("args", P::Bytes(b"execveat-fail\0")),
                    ("tid", P::I64(100)),
                    ("pid", P::I64(100)),
                    ("comm", P::Str("bash")),
                ],
            ),
            checks: &[
                ("evt.type", "execveat"),
                ("evt.failed", "true"),
                ("proc.name", "bash"),
                ("proc.exe", "bash"),
                ("proc.exepath", "/usr/bin/bash"),
                ("proc.args", "-i"),
            ],
        },
        Step {
            rec: event(
                ids::PPME_SYSCALL_EXECVE_19_X,
                3_000,
                100,
                &[
                    ("res", P::I64(0)),
                    ("exe", P::Str("true")),
                    ("args", P::Bytes(b"execveat-fd\0")),
                    ("tid", P::I64(100)),
                    ("pid", P::I64(100)),
                    ("ptid", P::I64(1)),
                    ("cwd", P::Str("/root")),
                    ("comm", P::Str("busybox")),
                    ("flags", P::U32(1 | 8)),
                    ("trusted_exepath", P::Str("/bin/busybox")),
                    ("filename", P::Str("/dev/fd/3")),
                ],
            ),
            checks: &[
                ("evt.type", "execve"),
                ("proc.name", "busybox"),
                ("proc.exe", "true"),
                ("proc.exepath", "/bin/busybox"),
                ("proc.args", "execveat-fd"),
                ("proc.is_exe_writable", "true"),
                ("proc.is_exe_lower_layer", "true"),
                ("proc.is_exe_upper_layer", "false"),
            ],
        },
        Step {
            rec: event(
                ids::PPME_SYSCALL_EXECVEAT_X,
                4_000,
                100,
                &[
                    ("res", P::I64(0)),
                    ("exe", P::Str("true")),
                    ("args", P::Bytes(b"\0")),
                    ("tid", P::I64(100)),
                    ("pid", P::I64(100)),
                    ("ptid", P::I64(1)),
                    ("cwd", P::Str("/root")),
                    ("comm", P::Str("uppertrue")),
                    ("flags", P::U32(1 | 2)),
                    ("trusted_exepath", P::Str("/ovl/merged/uppertrue")),
                ],
            ),
            checks: &[
                ("evt.type", "execveat"),
                ("proc.name", "uppertrue"),
                ("proc.exepath", "/ovl/merged/uppertrue"),
                ("proc.is_exe_upper_layer", "true"),
                ("proc.is_exe_lower_layer", "false"),
                ("proc.pname", "init"),
            ],
        },
    ];
    run_steps(&mut st, &steps);
}
