//! Guest checks of exec events: real execveat calls (part of `events`, so they reach the .scap
//! that sysdig reads on the host) and the overlayfs layer flags (`overlay`).
//!
//! libs' drivers report a successful execveat on x86_64 as `PPME_SYSCALL_EXECVE_19_X` (their
//! `sched_process_exec` programs; the driver tests assert it), with `filename` =
//! `bprm->filename`; only a failed execveat is an `EXECVEAT_X` (30 parameters, no filename).
//! The exec `flags` carry `PPM_EXE_UPPER_LAYER` when the executable has a copy in the upper
//! layer of an overlayfs and `PPM_EXE_LOWER_LAYER` when it only exists in a lower layer.

use std::time::Duration;

use ringbuf_abi::ids::*;

use crate::{cstr, drain, open_rings, Checks, Ev};

/// `PPM_EXE_*` values of the exec `flags` parameter.
const EXE_WRITABLE: u64 = 1 << 0;
const EXE_UPPER_LAYER: u64 = 1 << 1;
const EXE_LOWER_LAYER: u64 = 1 << 3;
/// `PPM_FD_UPPER_LAYER_CREAT` (creat's `creat_flags`).
const FD_UPPER_LAYER_CREAT: u64 = 1 << 0;

/// One successful exec a child made: its pid and what the exit event must say.
pub(crate) struct ExecCase {
    what: &'static str,
    pid: u64,
    exe: &'static str,
    args: Vec<String>,
    comm: String,
    trusted_exepath: String,
    filename: String,
    /// `Some(flags)` when the exec `flags` are asserted exactly.
    flags: Option<u64>,
}

/// What the execveat actions did.
pub(crate) struct ExecveatRun {
    cases: Vec<ExecCase>,
    /// errno of the execveat that must fail (run by the test process itself).
    failed_errno: i32,
}

impl ExecveatRun {
    /// Threads whose events the checks need (the children).
    pub(crate) fn tids(&self) -> Vec<u64> {
        self.cases.iter().map(|c| c.pid).collect()
    }
}

/// Forks a child that runs `f` (an exec that only returns on failure, then exits 127); returns
/// the child's pid once it exited.
fn exec_child(f: impl FnOnce()) -> u64 {
    // SAFETY (test program): fork; the child only execs or exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        f();
        unsafe { libc::_exit(127) };
    }
    let mut st = 0;
    // SAFETY (test program): waits for our own child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    pid as u64
}

/// `execveat(dirfd, path, argv, ["FALCO_EXECVEAT=1"], flags)`; returns -errno on failure.
fn execveat(dirfd: i32, path: &str, argv: &[&str], flags: i32) -> i32 {
    let path = cstr(path);
    let args: Vec<_> = argv.iter().map(|a| cstr(a)).collect();
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env = cstr("FALCO_EXECVEAT=1");
    let envp = [env.as_ptr(), std::ptr::null()];
    // SAFETY (test program): NUL-terminated strings and NULL-terminated arrays that outlive
    // the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_execveat,
            dirfd,
            path.as_ptr(),
            ptrs.as_ptr(),
            envp.as_ptr(),
            flags,
        )
    };
    if rc < 0 {
        -crate::errno()
    } else {
        0
    }
}

/// Three successful execveat calls (dirfd AT_FDCWD + absolute path, an fd of the binary with
/// AT_EMPTY_PATH, a directory fd + relative path), each in a child, and one that fails here.
pub(crate) fn execveat_actions() -> ExecveatRun {
    // busybox is the guest's only binary: /bin/true is a symlink to it. A host has both.
    let busybox = crate::busybox_exe();
    let true_exe = crate::true_exe();
    // SAFETY (test program): open files we close below; the children inherit them.
    let (bin_fd, dir_fd) = unsafe {
        (
            libc::open(cstr(&busybox).as_ptr(), libc::O_RDONLY),
            libc::open(cstr("/bin").as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY),
        )
    };
    let cwd = exec_child(|| {
        execveat(libc::AT_FDCWD, "/bin/true", &["true", "execveat-cwd"], 0);
    });
    let by_fd = exec_child(|| {
        execveat(bin_fd, "", &["true", "execveat-fd"], libc::AT_EMPTY_PATH);
    });
    let by_dirfd = exec_child(|| {
        execveat(dir_fd, "true", &["true", "execveat-dirfd"], 0);
    });
    let failed_errno = -execveat(
        libc::AT_FDCWD,
        "/nonexistent-falco-exec",
        &["falco-missing", "execveat-fail"],
        0,
    );
    // SAFETY (test program): our own fds.
    unsafe {
        libc::close(bin_fd);
        libc::close(dir_fd);
    }
    let case = |what, pid, arg: &str, comm: &str, exepath: &str, filename: String| ExecCase {
        what,
        pid,
        exe: "true",
        args: vec![arg.to_string()],
        comm: comm.to_string(),
        trusted_exepath: exepath.to_string(),
        filename,
        flags: None,
    };
    ExecveatRun {
        cases: vec![
            case(
                "execveat(AT_FDCWD, \"/bin/true\")",
                cwd,
                "execveat-cwd",
                "true",
                &true_exe,
                "/bin/true".into(),
            ),
            // Since Linux 6.14 comm is the file's name, not the fd number, with AT_EMPTY_PATH.
            case(
                "execveat(fd of /bin/busybox, \"\", AT_EMPTY_PATH)",
                by_fd,
                "execveat-fd",
                "busybox",
                &busybox,
                format!("/dev/fd/{bin_fd}"),
            ),
            case(
                "execveat(fd of /bin, \"true\")",
                by_dirfd,
                "execveat-dirfd",
                "true",
                &true_exe,
                format!("/dev/fd/{dir_fd}/true"),
            ),
        ],
        failed_errno,
    }
}

/// Each successful exec is one `EXECVE_19_X` of the child with libs' 31 parameters.
fn check_exec_cases(c: &mut Checks, evs: &[&Ev], cases: &[ExecCase]) {
    for case in cases {
        let of_child: Vec<&Ev> = evs
            .iter()
            .filter(|e| e.tid == case.pid && e.name().starts_with("execve"))
            .copied()
            .collect();
        let e = of_child
            .iter()
            .find(|e| e.ty == PPME_SYSCALL_EXECVE_19_X)
            .copied();
        let want_params =
            ringbuf_abi::event_info(PPME_SYSCALL_EXECVE_19_X).map_or(0, |i| i.params.len());
        c.check(
            &format!("{}: one execve exit event (no execveat event)", case.what),
            of_child.len() == 1 && e.is_some_and(|e| e.params.len() == want_params),
            format!(
                "{:?} ({want_params} params wanted)",
                of_child
                    .iter()
                    .map(|e| (e.name(), e.ty, e.params.len()))
                    .collect::<Vec<_>>()
            ),
        );
        c.check(
            &format!("{}: parameters", case.what),
            e.is_some_and(|e| {
                e.i("res") == 0
                    && e.text("exe") == case.exe
                    && e.strs(2) == case.args
                    && e.n("tid") == case.pid
                    && e.text("comm") == case.comm
                    && e.text("trusted_exepath") == case.trusted_exepath
                    && e.text("filename") == case.filename
                    && case.flags.is_none_or(|f| e.n("flags") == f)
            }),
            format!(
                "{:?} want exe={} args={:?} comm={} trusted_exepath={} filename={} flags={:?}",
                e.map(|e| (
                    e.i("res"),
                    e.text("exe"),
                    e.strs(2),
                    e.n("tid"),
                    e.text("comm"),
                    e.text("trusted_exepath"),
                    e.text("filename"),
                    e.n("flags")
                )),
                case.exe,
                case.args,
                case.comm,
                case.trusted_exepath,
                case.filename,
                case.flags
            ),
        );
    }
}

/// The execveat events, parameter by parameter.
pub(crate) fn check_execveat(c: &mut Checks, evs: &[&Ev], me: u64, run: &ExecveatRun) {
    check_exec_cases(c, evs, &run.cases);
    // The failed call: its own event, libs' 30-parameter layout (no filename).
    let e = evs
        .iter()
        .find(|e| e.ty == PPME_SYSCALL_EXECVEAT_X && e.tid == me)
        .copied();
    c.check(
        "failed execveat: EXECVEAT_X res=-ENOENT exe/args from argv, 30 params",
        run.failed_errno == libc::ENOENT
            && e.is_some_and(|e| {
                e.i("res") == -(libc::ENOENT as i64)
                    && e.params.len() == 30
                    && e.str(1) == "falco-missing"
                    && e.strs(2) == ["execveat-fail"]
                    && e.strs(15) == ["FALCO_EXECVEAT=1"]
            }),
        format!(
            "errno {} {:?}",
            run.failed_errno,
            e.map(|e| (e.i("res"), e.params.len(), e.str(1), e.strs(2), e.strs(15)))
        ),
    );
}

/// Where the overlay test mounts: lower, upper and work dirs, and the merged view.
const OVL: &str = "/tmp/falco-ovl";

/// What the overlay actions did.
pub(crate) struct OverlayRun {
    mounted: bool,
    cases: Vec<ExecCase>,
    /// (fd, `creat` of a new file in the merged view).
    created: i64,
}

fn copy_exe(to: &str) -> bool {
    std::fs::copy("/bin/busybox", to).is_ok()
        // SAFETY (test program): chmod a file we just wrote.
        && unsafe { libc::chmod(cstr(to).as_ptr(), 0o755) } == 0
}

/// execve `path` with argv `["true"]` in a child; returns its pid.
fn exec_path(path: &str) -> u64 {
    exec_child(|| {
        execveat(libc::AT_FDCWD, path, &["true"], 0);
    })
}

/// Mounts an overlayfs over a lower dir holding two copies of busybox, creates a third in the
/// merged view (upper layer, with creat), copies one lower file up (chmod through the merged
/// view), then execs the lower-only, the created and the copied-up file, each in a child.
pub(crate) fn overlay_actions() -> OverlayRun {
    let d = |s: &str| format!("{OVL}/{s}");
    let _ = std::fs::remove_dir_all(OVL);
    for s in ["lower", "upper", "work", "merged"] {
        let _ = std::fs::create_dir_all(d(s));
    }
    let staged = copy_exe(&d("lower/lowertrue")) && copy_exe(&d("lower/lowercopy"));
    let opts = cstr(&format!(
        "lowerdir={},upperdir={},workdir={}",
        d("lower"),
        d("upper"),
        d("work")
    ));
    // SAFETY (test program): mount with valid NUL-terminated strings.
    let mounted = staged
        && unsafe {
            libc::mount(
                cstr("overlay").as_ptr(),
                cstr(&d("merged")).as_ptr(),
                cstr("overlay").as_ptr(),
                0,
                opts.as_ptr().cast(),
            )
        } == 0;
    if !mounted {
        println!(
            "overlay mount failed: errno {} (staged {staged})",
            crate::errno()
        );
        return OverlayRun {
            mounted,
            cases: Vec::new(),
            created: -1,
        };
    }
    let upper = d("merged/uppertrue");
    let image = std::fs::read("/bin/busybox").unwrap_or_default();
    // SAFETY (test program): creat/write/close our own file.
    let created = unsafe {
        let fd = libc::creat(cstr(&upper).as_ptr(), 0o755);
        libc::write(fd, image.as_ptr().cast(), image.len());
        libc::close(fd);
        fd as i64
    };
    // chmod through the merged view copies the lower file up.
    // SAFETY (test program): chmod a file of our overlay.
    unsafe { libc::chmod(cstr(&d("merged/lowercopy")).as_ptr(), 0o755) };
    let case = |what, path: String, comm: &str, flags| ExecCase {
        what,
        pid: exec_path(&path),
        exe: "true",
        args: Vec::new(),
        comm: comm.to_string(),
        trusted_exepath: path.clone(),
        filename: path,
        flags: Some(flags),
    };
    // Root owns and may write every one of them: EXE_WRITABLE as well, as in libs' tests.
    let cases = vec![
        case(
            "overlay exec of a lower-layer file: EXE_WRITABLE|EXE_LOWER_LAYER",
            d("merged/lowertrue"),
            "lowertrue",
            EXE_WRITABLE | EXE_LOWER_LAYER,
        ),
        case(
            "overlay exec of a file created in the merged view: EXE_WRITABLE|EXE_UPPER_LAYER",
            upper,
            "uppertrue",
            EXE_WRITABLE | EXE_UPPER_LAYER,
        ),
        case(
            "overlay exec of a copied-up lower file: EXE_WRITABLE|EXE_UPPER_LAYER",
            d("merged/lowercopy"),
            "lowercopy",
            EXE_WRITABLE | EXE_UPPER_LAYER,
        ),
    ];
    OverlayRun {
        mounted,
        cases,
        created,
    }
}

/// Unmounts and removes the overlay of [`overlay_actions`].
pub(crate) fn overlay_cleanup() {
    // SAFETY (test program): unmount our own mount point.
    unsafe { libc::umount2(cstr(&format!("{OVL}/merged")).as_ptr(), 0) };
    let _ = std::fs::remove_dir_all(OVL);
}

/// The `overlay` subcommand: the exec layer flags and creat's `creat_flags` on an overlayfs.
pub(crate) fn overlay() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    let _ = drain(&mut rs, Duration::from_millis(0));
    rs.enable().expect("enable");
    let me = std::process::id() as u64;
    let run = overlay_actions();
    let (evs, bad) = drain(&mut rs, Duration::from_millis(300));
    rs.disable().ok();
    overlay_cleanup();
    c.check("overlayfs mounted", run.mounted, OVL);
    c.check(
        "all records decode",
        bad == 0,
        format!("{} events", evs.len()),
    );
    let mine: Vec<&Ev> = evs.iter().collect();
    check_exec_cases(&mut c, &mine, &run.cases);
    let e = mine
        .iter()
        .find(|e| e.ty == PPME_SYSCALL_CREAT_X && e.tid == me && e.i("fd") == run.created)
        .copied();
    c.check(
        "creat of a new file in the merged view: creat_flags FD_UPPER_LAYER_CREAT",
        run.created >= 0 && e.is_some_and(|e| e.n("creat_flags") == FD_UPPER_LAYER_CREAT),
        format!(
            "{:?}",
            e.map(|e| (e.i("fd"), e.text("name"), e.n("creat_flags")))
        ),
    );
    c.finish("overlay")
}
