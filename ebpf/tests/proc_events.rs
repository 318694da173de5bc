//! The process programs against real processes: fork, vfork, clone, clone3, a successful
//! execve and execveat in children, failed execve/execveat in the test thread, exits by code
//! and by signal, and the reaper of an exiting parent. Every parameter whose value the test can
//! know is compared with what /proc, stat(2) and the syscalls themselves say.
//!
//! Needs root (BPF); the capture is restricted to this process's tree.

mod common;

use std::collections::HashMap;
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use ringbuf_abi::ids::*;

use common::{gettid, Ev};

impl Ev {
    fn u64(&self, i: usize) -> u64 {
        let p = &self.params[i];
        assert_eq!(p.len(), 8, "param {i} of {} is {} bytes", self.ty, p.len());
        u64::from_le_bytes(p[..8].try_into().expect("8 bytes"))
    }
    fn i64(&self, i: usize) -> i64 {
        self.u64(i) as i64
    }
    fn u32(&self, i: usize) -> u32 {
        let p = &self.params[i];
        assert_eq!(p.len(), 4, "param {i} of {} is {} bytes", self.ty, p.len());
        u32::from_le_bytes(p[..4].try_into().expect("4 bytes"))
    }
    fn u8(&self, i: usize) -> u8 {
        let p = &self.params[i];
        assert_eq!(p.len(), 1, "param {i} of {} is {} bytes", self.ty, p.len());
        p[0]
    }
    /// A NUL-terminated string parameter without its NUL.
    fn str(&self, i: usize) -> String {
        let p = &self.params[i];
        assert_eq!(
            p.last(),
            Some(&0),
            "param {i} of {} is not NUL-terminated: {p:?}",
            self.ty
        );
        String::from_utf8_lossy(&p[..p.len() - 1]).into_owned()
    }
    fn bytes(&self, i: usize) -> &[u8] {
        &self.params[i]
    }
}

/// Waits for child `pid`; returns its raw wait status.
fn wait(pid: i64) -> i32 {
    let mut st = 0;
    // SAFETY: `st` is a valid out pointer.
    let r = unsafe { libc::waitpid(pid as i32, &mut st, 0) };
    assert_eq!(
        r as i64,
        pid,
        "waitpid({pid}): {}",
        std::io::Error::last_os_error()
    );
    st
}

/// Status lines of /proc/<pid>/status by key.
fn status(pid: &str) -> HashMap<String, String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    s.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s, 16).expect("hex")
}

/// This process's cgroup v2 path, from /proc/self/cgroup's `0::` line.
fn cgroup_path() -> String {
    let s = std::fs::read_to_string("/proc/self/cgroup").expect("cgroup");
    s.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .expect("a cgroup v2 line")
        .to_string()
}

/// The cgroups parameter the module writes for a task in cgroup `path`.
fn cgroups_param(path: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for c in ["cpuset", "cpu", "cpuacct", "io", "memory", "pids"] {
        v.extend_from_slice(format!("{c}={path}\0").as_bytes());
    }
    v
}

fn nul_join(items: &[&str]) -> Vec<u8> {
    let mut v = Vec::new();
    for i in items {
        v.extend_from_slice(i.as_bytes());
        v.push(0);
    }
    v
}

fn cstrings(items: &[&str]) -> (Vec<CString>, Vec<*const libc::c_char>) {
    let owned: Vec<CString> = items
        .iter()
        .map(|s| CString::new(*s).expect("no NUL"))
        .collect();
    let mut ptrs: Vec<*const libc::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    (owned, ptrs)
}

/// What the test knows about this process, shared by all events.
struct Me {
    pid: u64,
    tid: u64,
    uid: u32,
    gid: u32,
    cwd: String,
    cgroups: Vec<u8>,
    fdlimit: u64,
    loginuid: u32,
    caps: (u64, u64, u64),
    pgid: u64,
    tty: u32,
    /// Whether this process lives in a child pid namespace (then vtid differs from tid).
    in_pidns: bool,
    comm: String,
}

fn me() -> Me {
    let st = status("self");
    let nspid: Vec<&str> = st["NSpid"].split_whitespace().collect();
    let loginuid: u32 = std::fs::read_to_string("/proc/self/loginuid")
        .map(|s| s.trim().parse().unwrap_or(u32::MAX))
        .unwrap_or(u32::MAX);
    let stat = std::fs::read_to_string("/proc/self/stat").expect("stat");
    let after = &stat[stat.rfind(')').expect(")") + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rl` is a valid out pointer.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    let tid = gettid();
    Me {
        pid: std::process::id() as u64,
        tid,
        // SAFETY: no preconditions.
        uid: unsafe { libc::geteuid() },
        // SAFETY: no preconditions.
        gid: unsafe { libc::getegid() },
        cwd: std::env::current_dir()
            .expect("cwd")
            .to_string_lossy()
            .into_owned(),
        cgroups: cgroups_param(&cgroup_path()),
        fdlimit: rl.rlim_cur,
        // from_kuid_munged(): the unset loginuid (-1) reads as overflowuid.
        loginuid: if loginuid == u32::MAX {
            65534
        } else {
            loginuid
        },
        caps: (hex(&st["CapInh"]), hex(&st["CapPrm"]), hex(&st["CapEff"])),
        pgid: f[2].parse().expect("pgrp"),
        tty: f[4].parse::<i64>().expect("tty_nr") as u32,
        in_pidns: nspid.len() > 1,
        comm: std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
            .expect("comm")
            .trim_end()
            .to_string(),
    }
}

/// Checks proc_common's parameters 3..=14 (tid .. cgroups) of event `e` for a task of this
/// process's tree: `tid`, `pid` and `ptid` given; cwd, fdlimit, comm and cgroups as `m` says.
fn check_common(e: &Ev, m: &Me, tid: u64, pid: u64, ptid: u64, cwd: &str, comm: &str) {
    assert_eq!(e.u64(3), tid, "tid");
    assert_eq!(e.u64(4), pid, "pid");
    assert_eq!(e.u64(5), ptid, "ptid");
    assert_eq!(e.str(6), cwd, "cwd");
    assert_eq!(e.u64(7), m.fdlimit, "fdlimit");
    let _maj = e.u64(8);
    let _min = e.u64(9);
    assert!(e.u32(10) > 0, "vm_size");
    // vm_rss is the mm's percpu_counter total (get_mm_counter), which may still read 0 for a
    // fresh mm whose counts sit in per-CPU batches; vm_swap is whatever was swapped.
    let _rss = e.u32(11);
    let _swap = e.u32(12);
    assert_eq!(e.str(13), comm, "comm");
    assert_eq!(e.bytes(14), &m.cgroups[..], "cgroups");
}

/// Checks a clone-family event (parent or child) after proc_common.
fn check_clone_tail(e: &Ev, m: &Me, ppm_flags: u32, child: bool) {
    let in_ns = if m.in_pidns { 1 << 29 } else { 0 };
    assert_eq!(e.u32(15), ppm_flags | in_ns, "clone flags");
    assert_eq!(e.u32(16), m.uid, "uid");
    assert_eq!(e.u32(17), m.gid, "gid");
    if !m.in_pidns {
        assert_eq!(e.u64(18), e.u64(3), "vtid");
        assert_eq!(e.u64(19), e.u64(4), "vpid");
    }
    if child {
        assert!(e.u64(20) > 0, "pidns_init_start_ts");
    } else {
        assert_eq!(e.u64(20), 0, "pidns_init_start_ts of the parent");
    }
}

/// The exe and args of this test binary (argv[0], argv[1..]) as the mm's argument area says.
fn my_args() -> (String, Vec<u8>) {
    let raw = std::fs::read("/proc/self/cmdline").expect("cmdline");
    let first = raw.iter().position(|b| *b == 0).expect("argv0");
    (
        String::from_utf8_lossy(&raw[..first]).into_owned(),
        raw[first + 1..].to_vec(),
    )
}

#[test]
fn proc_events() {
    let mut rs = common::open(&common::own_tree());
    let m = me();
    // PR_SET_CHILD_SUBREAPER: the orphan of the reaper scenario comes back to this process.
    // SAFETY: prctl with integer arguments.
    assert_eq!(
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) },
        0
    );
    rs.enable().expect("enable");

    // fork: the child exits with 3.
    // SAFETY: the child only calls _exit.
    let fork_pid = unsafe { libc::syscall(libc::SYS_fork) };
    if fork_pid == 0 {
        // SAFETY: terminates the child.
        unsafe { libc::_exit(3) };
    }
    assert!(fork_pid > 0);
    let st = wait(fork_pid);
    assert_eq!(libc::WEXITSTATUS(st), 3);

    // vfork: the child exits at once with 5, through raw syscalls that touch no stack (it runs
    // on this thread's stack until it exits).
    let vfork_pid: i64;
    // SAFETY: vfork suspends this thread until the child exits; the child runs only the
    // exit_group syscall, never returning into Rust code.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov eax, 231",
            "mov edi, 5",
            "syscall",
            "2:",
            inlateout("rax") libc::SYS_vfork => vfork_pid,
            lateout("rdi") _, lateout("rcx") _, lateout("r11") _,
        );
    }
    assert!(vfork_pid > 0, "vfork: {vfork_pid}");
    let st = wait(vfork_pid);
    assert_eq!(libc::WEXITSTATUS(st), 5);

    // clone with CLONE_FS | CLONE_FILES: the child exits with 0.
    let clone_flags = (libc::CLONE_FS | libc::CLONE_FILES) as u64;
    // SAFETY: without CLONE_VM the child has its own copy of memory; it only calls _exit.
    let clone_pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            clone_flags | libc::SIGCHLD as u64,
            0,
            0,
            0,
            0,
        )
    };
    if clone_pid == 0 {
        // SAFETY: terminates the child.
        unsafe { libc::_exit(0) };
    }
    assert!(clone_pid > 0);
    wait(clone_pid);

    // clone3 with CLONE_FS: the child kills itself with SIGKILL.
    #[repr(C)]
    #[derive(Default)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
    }
    let ca = CloneArgs {
        flags: libc::CLONE_FS as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    // SAFETY: `ca` is a valid clone_args of the given size; the child only kills itself.
    let clone3_pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &ca as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if clone3_pid == 0 {
        // SAFETY: the child sends itself SIGKILL, then exits if that somehow returned.
        unsafe {
            libc::syscall(
                libc::SYS_kill,
                libc::syscall(libc::SYS_getpid),
                libc::SIGKILL,
            );
            libc::_exit(99);
        }
    }
    assert!(
        clone3_pid > 0,
        "clone3: {}",
        std::io::Error::last_os_error()
    );
    let st = wait(clone3_pid);
    assert!(libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGKILL);

    // execve of /bin/true with known argv and env, in /tmp.
    let exe_argv = ["/bin/true", "a1", "b two"];
    let exe_env = ["FOO=bar", "X=1"];
    let (_a, argv) = cstrings(&exe_argv);
    let (_e, envp) = cstrings(&exe_env);
    let path = CString::new("/bin/true").expect("path");
    let tmp = CString::new("/tmp").expect("tmp");
    // SAFETY: the child calls only chdir, execve and _exit, with pointers prepared before.
    let exec_pid = unsafe { libc::fork() };
    if exec_pid == 0 {
        // SAFETY: as above.
        unsafe {
            libc::chdir(tmp.as_ptr());
            libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    let st = wait(exec_pid as i64);
    assert_eq!(libc::WEXITSTATUS(st), 0, "/bin/true failed to run");

    // execveat of "true" relative to a directory fd on /usr/bin (reported as execve).
    let bindir = CString::new("/usr/bin").expect("dir");
    // SAFETY: a plain open of a directory.
    let dfd = unsafe { libc::open(bindir.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
    assert!(dfd >= 0);
    let rel = CString::new("true").expect("rel");
    let at_argv = ["true", "--at"];
    let (_aa, at_argvp) = cstrings(&at_argv);
    // SAFETY: the child calls only execveat and _exit, with pointers prepared before.
    let at_pid = unsafe { libc::fork() };
    if at_pid == 0 {
        // SAFETY: as above.
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                dfd,
                rel.as_ptr(),
                at_argvp.as_ptr(),
                envp.as_ptr(),
                0,
            );
            libc::_exit(127);
        }
    }
    let st = wait(at_pid as i64);
    assert_eq!(libc::WEXITSTATUS(st), 0, "execveat of true failed");
    // SAFETY: closes our own fd.
    unsafe { libc::close(dfd) };

    // fexecve of a memfd holding a copy of /bin/true, from a directory on another mount
    // (procfs): the memfd flag, the memfd's path, and a cwd across a mount point.
    let mname = CString::new("falco-proc").expect("name");
    // SAFETY: a plain memfd_create.
    let mfd = unsafe { libc::memfd_create(mname.as_ptr(), 0) };
    assert!(
        mfd >= 0,
        "memfd_create: {}",
        std::io::Error::last_os_error()
    );
    let image = std::fs::read("/bin/true").expect("read /bin/true");
    // SAFETY: writes our buffer to our fd.
    assert_eq!(
        unsafe { libc::write(mfd, image.as_ptr().cast(), image.len()) },
        image.len() as isize
    );
    let procdir = CString::new("/proc/sys/kernel").expect("dir");
    let empty = CString::new("").expect("empty");
    let mem_argv = ["memtrue", "m1"];
    let (_ma, mem_argvp) = cstrings(&mem_argv);
    // SAFETY: the child calls only chdir, execveat and _exit, with pointers prepared before.
    let mem_pid = unsafe { libc::fork() };
    if mem_pid == 0 {
        // SAFETY: as above.
        unsafe {
            libc::chdir(procdir.as_ptr());
            libc::syscall(
                libc::SYS_execveat,
                mfd,
                empty.as_ptr(),
                mem_argvp.as_ptr(),
                envp.as_ptr(),
                libc::AT_EMPTY_PATH,
            );
            libc::_exit(127);
        }
    }
    let st = wait(mem_pid as i64);
    assert_eq!(libc::WEXITSTATUS(st), 0, "fexecve of the memfd failed");
    // SAFETY: a valid fd and out buffer.
    let mut mst: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::fstat(mfd, &mut mst) }, 0);
    // SAFETY: closes our own fd.
    unsafe { libc::close(mfd) };

    // A failing execve and execveat in this thread.
    let bad = CString::new("/nonexistent/falco-proc-test").expect("bad");
    let bad_argv = ["nx", "q1", "q2"];
    let bad_env = ["E=1"];
    let (_ba, bad_argvp) = cstrings(&bad_argv);
    let (_be, bad_envp) = cstrings(&bad_env);
    // SAFETY: valid NUL-terminated arrays; the call fails with ENOENT and returns.
    let r = unsafe { libc::execve(bad.as_ptr(), bad_argvp.as_ptr(), bad_envp.as_ptr()) };
    assert_eq!(r, -1);
    let bad_rel = CString::new("falco-proc-test-missing").expect("rel");
    // SAFETY: as above, relative to the cwd.
    let r = unsafe {
        libc::syscall(
            libc::SYS_execveat,
            libc::AT_FDCWD,
            bad_rel.as_ptr(),
            bad_argvp.as_ptr(),
            bad_envp.as_ptr(),
            0,
        )
    };
    assert_eq!(r, -1);

    // Reaper: a child forks a grandchild (blocked on a pipe) and exits; the grandchild is
    // reparented to this process (a child subreaper), whose first live thread is the leader.
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid out array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the children call only fork, read, close and _exit.
    let mid = unsafe { libc::fork() };
    if mid == 0 {
        // SAFETY: as above.
        unsafe {
            let g = libc::fork();
            if g == 0 {
                libc::close(fds[1]);
                let mut b = [0u8; 1];
                libc::read(fds[0], b.as_mut_ptr().cast(), 1);
                libc::_exit(0);
            }
            libc::_exit(if g > 0 { 4 } else { 100 });
        }
    }
    let st = wait(mid as i64);
    assert_eq!(libc::WEXITSTATUS(st), 4);
    // SAFETY: closing our pipe ends releases the grandchild.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    let mut st = 0;
    // SAFETY: `st` is a valid out pointer; waits for the adopted grandchild.
    let grandchild = unsafe { libc::waitpid(-1, &mut st, 0) };
    assert!(grandchild > 0, "the orphan was not adopted by this process");

    // Stop capturing (this thread's own syscalls would keep the rings busy), then collect
    // everything written so far.
    rs.disable().expect("disable");
    let (evs, bad) = common::drain(&mut rs, Duration::from_millis(300));
    assert!(
        bad.is_empty(),
        "records that do not parse or disagree with the schema: {bad:?}"
    );
    common::assert_no_drops(&rs);

    let find = |ty: u16, pred: &dyn Fn(&Ev) -> bool| -> Ev {
        let all: Vec<&Ev> = evs.iter().filter(|e| e.ty == ty && pred(e)).collect();
        assert_eq!(
            all.len(),
            1,
            "exactly one event of type {ty} expected, got {all:?}"
        );
        all[0].clone()
    };
    let (my_exe, my_args) = my_args();
    let my_exepath = std::fs::read_link("/proc/self/exe")
        .expect("exe")
        .to_string_lossy()
        .into_owned();
    let tmp_cwd = std::fs::canonicalize("/tmp")
        .expect("tmp")
        .to_string_lossy()
        .into_owned();

    // Parent and child events of each clone-family call.
    let cases: [(u16, i64, u32); 4] = [
        (PPME_SYSCALL_FORK_20_X, fork_pid, 0),
        (PPME_SYSCALL_VFORK_20_X, vfork_pid, (1 << 15) | (1 << 27)),
        (PPME_SYSCALL_CLONE_20_X, clone_pid, (1 << 0) | (1 << 1)),
        (PPME_SYSCALL_CLONE3_X, clone3_pid, 1 << 1),
    ];
    for (ty, child, flags) in cases {
        let parent = find(ty, &|e| e.tid == m.tid && e.i64(0) == child);
        check_common(&parent, &m, m.tid, m.pid, parent_ptid(), &m.cwd, &m.comm);
        assert_eq!(parent.str(1), my_exe, "exe");
        assert_eq!(parent.bytes(2), &my_args[..], "args");
        check_clone_tail(&parent, &m, flags, false);

        let c = find(ty, &|e| e.tid == child as u64 && e.i64(0) == 0);
        check_common(&c, &m, child as u64, child as u64, m.pid, &m.cwd, &m.comm);
        assert_eq!(c.str(1), my_exe, "child exe");
        assert_eq!(c.bytes(2), &my_args[..], "child args");
        check_clone_tail(&c, &m, flags, true);
    }

    // procexit of each child.
    let exit_of = |pid: i64| find(PPME_PROCEXIT_1_E, &|e| e.tid == pid as u64);
    for (pid, status, ret, sig) in [
        (fork_pid, 3 << 8, 3, 0),
        (vfork_pid, 5 << 8, 5, 0),
        (clone_pid, 0, 0, 0),
        (clone3_pid, libc::SIGKILL as u64, 0, libc::SIGKILL as u8),
        (exec_pid as i64, 0, 0, 0),
        (at_pid as i64, 0, 0, 0),
        (mem_pid as i64, 0, 0, 0),
        (grandchild as i64, 0, 0, 0),
    ] {
        let e = exit_of(pid);
        assert_eq!(e.u64(0), status, "status of {pid}");
        assert_eq!(e.u64(1), ret, "ret of {pid}");
        assert_eq!(e.u8(2), sig, "sig of {pid}");
        assert_eq!(e.u8(3), 0, "core of {pid}");
        assert_eq!(e.i64(4), 0, "reaper of {pid}: it has no children");
    }
    let e = exit_of(mid as i64);
    assert_eq!((e.u64(0), e.u64(1), e.u8(2), e.u8(3)), (4 << 8, 4, 0, 0));
    assert_eq!(
        e.i64(4),
        m.pid as i64,
        "the subreaper's leader adopts the orphan"
    );

    // The successful execve, from sched_process_exec.
    let true_meta = std::fs::metadata("/bin/true").expect("/bin/true");
    let true_path = std::fs::canonicalize("/bin/true")
        .expect("true")
        .to_string_lossy()
        .into_owned();
    let e = find(PPME_SYSCALL_EXECVE_19_X, &|e| e.tid == exec_pid as u64);
    assert_eq!(e.i64(0), 0, "res");
    assert_eq!(e.str(1), "/bin/true", "exe");
    assert_eq!(e.bytes(2), &nul_join(&exe_argv[1..])[..], "args");
    check_common(
        &e,
        &m,
        exec_pid as u64,
        exec_pid as u64,
        m.pid,
        &tmp_cwd,
        "true",
    );
    check_exec_tail(&e, &m, &exe_env, &true_meta, &true_path);
    assert_eq!(e.str(30), "/bin/true", "filename");

    // The successful execveat: an execve event whose filename is the kernel's /dev/fd form.
    let e = find(PPME_SYSCALL_EXECVE_19_X, &|e| e.tid == at_pid as u64);
    assert_eq!(e.i64(0), 0, "res");
    assert_eq!(e.str(1), "true", "exe");
    assert_eq!(e.bytes(2), &nul_join(&at_argv[1..])[..], "args");
    check_common(&e, &m, at_pid as u64, at_pid as u64, m.pid, &m.cwd, "true");
    check_exec_tail(&e, &m, &exe_env, &true_meta, &true_path);
    assert_eq!(e.str(30), format!("/dev/fd/{dfd}/true"), "filename");

    // The memfd: FROM_MEMFD, d_path's "/memfd:<name> (deleted)" without its suffix.
    let e = find(PPME_SYSCALL_EXECVE_19_X, &|e| e.tid == mem_pid as u64);
    assert_eq!(e.i64(0), 0, "res");
    assert_eq!(e.str(1), "memtrue", "exe");
    assert_eq!(e.bytes(2), &nul_join(&mem_argv[1..])[..], "args");
    // The kernel names an fd-executed image after its dentry (6.x), within TASK_COMM_LEN.
    check_common(
        &e,
        &m,
        mem_pid as u64,
        mem_pid as u64,
        m.pid,
        "/proc/sys/kernel",
        "memfd:falco-pro",
    );
    assert_eq!(e.bytes(15), &nul_join(&exe_env)[..], "env");
    assert_eq!(e.u32(19), 1 | 4, "flags: writable (root) and from memfd");
    assert_eq!(e.u64(23), mst.st_ino, "exe_ino");
    assert_eq!(
        e.u64(24),
        mst.st_ctime as u64 * 1_000_000_000 + mst.st_ctime_nsec as u64,
        "exe_ino_ctime"
    );
    assert_eq!(
        e.u64(25),
        mst.st_mtime as u64 * 1_000_000_000 + mst.st_mtime_nsec as u64,
        "exe_ino_mtime"
    );
    assert_eq!(e.str(27), "/memfd:falco-proc", "trusted_exepath");
    assert_eq!(e.str(30), format!("/dev/fd/{mfd}"), "filename");

    // The failed execve and execveat: the caller's image, the call's argv and env.
    let my_meta = std::fs::metadata("/proc/self/exe").expect("exe");
    let e = find(PPME_SYSCALL_EXECVE_19_X, &|e| e.tid == m.tid);
    assert_eq!(e.i64(0), -(libc::ENOENT as i64), "res");
    assert_eq!(e.str(1), "nx", "exe");
    assert_eq!(e.bytes(2), &nul_join(&bad_argv[1..])[..], "args");
    check_common(&e, &m, m.tid, m.pid, parent_ptid(), &m.cwd, &m.comm);
    check_exec_tail(&e, &m, &bad_env, &my_meta, &my_exepath);
    assert_eq!(e.str(30), "/nonexistent/falco-proc-test", "filename");

    let e = find(PPME_SYSCALL_EXECVEAT_X, &|e| e.tid == m.tid);
    assert_eq!(e.params.len(), 30);
    assert_eq!(e.i64(0), -(libc::ENOENT as i64), "res");
    assert_eq!(e.str(1), "nx", "exe");
    assert_eq!(e.bytes(2), &nul_join(&bad_argv[1..])[..], "args");
    check_common(&e, &m, m.tid, m.pid, parent_ptid(), &m.cwd, &m.comm);
    check_exec_tail(&e, &m, &bad_env, &my_meta, &my_exepath);
}

/// This process's parent (the ptid of events of this process).
fn parent_ptid() -> u64 {
    std::os::unix::process::parent_id() as u64
}

/// Checks an exec event's parameters 15..=29 (env .. gid) for an image `meta` at `exepath`.
fn check_exec_tail(e: &Ev, m: &Me, env: &[&str], meta: &std::fs::Metadata, exepath: &str) {
    assert_eq!(e.bytes(15), &nul_join(env)[..], "env");
    assert_eq!(e.u32(16), m.tty, "tty");
    assert_eq!(e.u64(17), m.pgid, "vpgid");
    assert_eq!(e.u32(18), m.loginuid, "loginuid");
    let flags = e.u32(19);
    // Root may write anything (CAP_FOWNER), and the image is no memfd.
    assert_eq!(flags & 1, 1, "exe writable flag: {flags:#x}");
    assert_eq!(flags & 4, 0, "exe from memfd: {flags:#x}");
    if fs_magic(exepath) != 0x794c7630 {
        assert_eq!(
            flags & (2 | 8),
            0,
            "overlay layer flags off overlayfs: {flags:#x}"
        );
    } else {
        assert_eq!(
            (flags & 2 != 0) as u32 + (flags & 8 != 0) as u32,
            1,
            "one overlay layer: {flags:#x}"
        );
    }
    assert_eq!((e.u64(20), e.u64(21), e.u64(22)), m.caps, "capabilities");
    assert_eq!(e.u64(23), meta.ino(), "exe_ino");
    assert_eq!(
        e.u64(24),
        meta.ctime() as u64 * 1_000_000_000 + meta.ctime_nsec() as u64,
        "exe_ino_ctime"
    );
    assert_eq!(
        e.u64(25),
        meta.mtime() as u64 * 1_000_000_000 + meta.mtime_nsec() as u64,
        "exe_ino_mtime"
    );
    assert_eq!(e.u32(26), m.uid, "uid");
    assert_eq!(e.str(27), exepath, "trusted_exepath");
    assert_eq!(e.u64(28), m.pgid, "pgid");
    assert_eq!(e.u32(29), m.gid, "gid");
}

/// statfs(2)'s f_type of `path`.
fn fs_magic(path: &str) -> i64 {
    let c = CString::new(path).expect("path");
    // SAFETY: zeroed statfs is a valid out buffer.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid path and out pointer.
    assert_eq!(unsafe { libc::statfs(c.as_ptr(), &mut s) }, 0);
    s.f_type as i64
}
