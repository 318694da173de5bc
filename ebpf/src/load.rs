//! Loading, verifying and attaching the programs, and the [`Driver`] controls over their maps.

use std::os::fd::AsFd;
use std::sync::Mutex;

use aya::maps::{Array, MapData, PerCpuArray, ProgramArray};
use aya::programs::{BtfTracePoint, Program, ProgramError};
use aya::{Btf, Ebpf, EbpfError, EbpfLoader};
use falco_ringreader::{Driver, DropCounts, Error as RingError, Preemption, Ring, RingSet};
use ringbuf_abi::ioctl::{EventMask, DEFAULT_SNAPLEN, MAX_SNAPLEN};

use crate::maps::{Counters, Mask, Settings, TP_COUNT};
use crate::syscalls::program_syscall;
use crate::{Attach, Options, TestObject};

/// The compiled programs (empty when clang was missing at build time).
pub static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// The same programs with `sys_enter`/`sys_exit` as perf tracepoints ([`Attach::Classic`]).
pub static OBJECT_CLASSIC: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe_tp.bpf.o"));

/// Test-only object: a `sys_enter` the verifier rejects (bpf/test_bad.bpf.c).
static TEST_REJECT: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/test_reject.bpf.o"));

/// Test-only object: a program on a tracepoint no kernel has (bpf/test_bad.bpf.c).
static TEST_MISSING_TP: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/test_missing_tp.bpf.o"));

/// Test-only programs and the tracepoints the loader gives them.
const TEST_TRACEPOINTS: &[(&str, &str)] =
    &[("test_missing_tracepoint", "falco_test_no_such_tracepoint")];

/// The oldest kernel the programs load on: BPF ring buffers and `tp_btf` programs (5.8).
const MIN_KERNEL: (u32, u32) = (5, 8);

/// Ring buffer maps in the object (`rb0` ... `rb31`).
const MAX_RINGS: u32 = 32;

/// The programs attached to tracepoints, in attach order: each first program, then its
/// fallback (`_b`, see `mark_running` in `bpf/common.h`), which the kernel calls after it.
/// The tracepoint is the name without `_b`; the index is the attach point's in the programs'
/// `counters.recovered` (`TP_*`).
const ATTACHED: &[(&str, &str, usize)] = &[
    ("sys_enter", "sys_enter", TP_ENTER),
    ("sys_enter_b", "sys_enter", TP_ENTER),
    ("sys_exit", "sys_exit", TP_EXIT),
    ("sys_exit_b", "sys_exit", TP_EXIT),
    ("sched_process_exit", "sched_process_exit", TP_PEXIT),
    ("sched_process_exit_b", "sched_process_exit", TP_PEXIT),
    ("sched_process_fork", "sched_process_fork", TP_FORK),
    ("sched_process_fork_b", "sched_process_fork", TP_FORK),
    ("sched_process_exec", "sched_process_exec", TP_EXEC),
    ("sched_process_exec_b", "sched_process_exec", TP_EXEC),
];

/// The programs both sched_process_* programs of a tracepoint tail-call: (program,
/// tracepoint, its one-entry table).
const BODIES: &[(&str, &str, &str)] = &[
    (
        "sched_process_fork_body",
        "sched_process_fork",
        "fork_body_prog",
    ),
    (
        "sched_process_exec_body",
        "sched_process_exec",
        "exec_body_prog",
    ),
    (
        "sched_process_exit_body",
        "sched_process_exit",
        "pexit_body_prog",
    ),
];

/// Attach points (`TP_*` in `bpf/common.h`).
const TP_ENTER: usize = 0;
const TP_EXIT: usize = 1;
const TP_FORK: usize = 2;
const TP_EXEC: usize = 3;
const TP_PEXIT: usize = 4;

/// The drop category of what a skipped program would have sent, by attach point.
const TP_CATEGORY: [ringbuf_abi::ring::DropCategory; TP_COUNT] = {
    use ringbuf_abi::ring::DropCategory::*;
    [SyscallEnter, SyscallExit, Process, Process, Process]
};

/// Scratch areas per CPU (`SCRATCH_SLOTS` in `bpf/common.h`).
const SCRATCH_SLOTS: u32 = 4;

/// The programs of the object that are not a syscall's (`x_`/`e_`): the attached ones and the
/// sched_process_* bodies they tail-call.
pub fn fixed_programs() -> impl Iterator<Item = &'static str> {
    ATTACHED
        .iter()
        .map(|(p, _, _)| *p)
        .chain(BODIES.iter().map(|(p, _, _)| *p))
}

/// How the syscall programs attach when the options do not say: perf tracepoints where they
/// can (`bpf_task_pt_regs`, 5.15+, and a readable tracefs for the tracepoint ids; an unknown
/// release counts as new); BTF tracepoints otherwise. Perf tracepoints are never skipped, and
/// on this project's 6.18 host they cost less than BTF ones with fallbacks (ebpf/BENCHMARKS.md).
fn default_attach(version: Option<(u32, u32)>) -> Attach {
    if version.is_some_and(|v| v < (5, 15)) || !tracefs_usable() {
        Attach::Btf
    } else {
        Attach::Classic
    }
}

/// Whether the raw_syscalls tracepoint ids can be read where aya looks for tracefs (the first
/// of these that exists and lists something).
fn tracefs_usable() -> bool {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .iter()
        .map(std::path::Path::new)
        .find(|d| std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_some()))
        .is_some_and(|d| {
            ["sys_enter", "sys_exit"].iter().all(|t| {
                std::fs::File::open(d.join("events/raw_syscalls").join(t).join("id")).is_ok()
            })
        })
}

/// Whether tracepoints may run their programs preemptibly, so that each first program needs its
/// fallback (`_b`): from 6.14, when the syscall tracepoints became faultable (an unknown
/// release counts as new). Before, every tracepoint ran its probes with preemption disabled,
/// and a second program on a tracepoint only costs time (the kernel then calls its probes
/// through a loop instead of a static call).
fn needs_fallbacks(version: Option<(u32, u32)>) -> bool {
    version.is_none_or(|v| v >= (6, 14))
}

/// True when this build carries the programs.
pub fn programs_built() -> bool {
    !OBJECT.is_empty()
}

/// The kernel release as (major, minor): `osrelease` (a test hook) or the running kernel's.
fn kernel_version(osrelease: Option<&str>) -> Option<(u32, u32)> {
    let rel = match osrelease {
        Some(r) => r.to_string(),
        None => std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?,
    };
    let mut it = rel.trim().split(['.', '-']);
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Before 5.11 BPF maps are charged to RLIMIT_MEMLOCK (later kernels use the memory cgroup):
/// lift it, which needs CAP_SYS_RESOURCE unless the limit already allows it. A failure is only
/// logged: map creation then fails with EPERM and says so.
fn raise_memlock() {
    let inf = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: `inf` is a valid rlimit to read.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &inf) } != 0 {
        log::warn!(
            "cannot lift RLIMIT_MEMLOCK ({}): the eBPF maps may not fit the locked-memory limit",
            std::io::Error::last_os_error()
        );
    }
}

/// Epoch nanoseconds at boot: what `bpf_ktime_get_boot_ns()` is added to.
fn boot_offset() -> u64 {
    let now = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec to write.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    };
    now(libc::CLOCK_REALTIME).saturating_sub(now(libc::CLOCK_BOOTTIME))
}

/// The last lines of a verifier log: where it stopped and why (its closing statistics left
/// out: they say nothing about the cause).
fn verifier_tail(log: &str) -> String {
    let stats = ["verification time", "stack depth", "processed "];
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| !l.trim().is_empty() && !stats.iter().any(|s| l.starts_with(s)))
        .collect();
    let from = lines.len().saturating_sub(10);
    lines[from..].join("\n    ")
}

/// A one-line (plus verifier lines) explanation of a failure to load or attach program `name`
/// on `tracepoint`.
fn explain_program(name: &str, tracepoint: &str, e: &ProgramError) -> String {
    match e {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            if io_error.raw_os_error() == Some(libc::EPERM) {
                return denied(&format!("loading program {name}"));
            }
            format!(
                "the kernel's verifier rejected eBPF program {name} ({io_error}); use the kernel \
                 module (engine.kind: kmod) on this kernel or report it. Verifier log ends:\n    {}",
                verifier_tail(&verifier_log.to_string())
            )
        }
        ProgramError::SyscallError(s) if s.io_error.raw_os_error() == Some(libc::EPERM) => {
            denied(&format!("{} for {name}", s.call))
        }
        ProgramError::Btf(b) => format!(
            "tracepoint {tracepoint} (eBPF program {name}) is missing from this kernel ({b}): \
             use a kernel that has it or the kernel module (engine.kind: kmod)"
        ),
        other => format!("cannot load eBPF program {name}: {other}"),
    }
}

fn denied(what: &str) -> String {
    format!(
        "BPF is not permitted ({what}: EPERM): run as root or with CAP_BPF and CAP_PERFMON \
         (plus CAP_SYS_RESOURCE on kernels before 5.11), and check \
         kernel.unprivileged_bpf_disabled and kernel lockdown"
    )
}

fn explain_load(e: &EbpfError) -> String {
    match e {
        EbpfError::MapError(aya::maps::MapError::CreateError { name, io_error, .. }) => {
            if io_error.raw_os_error() == Some(libc::EPERM) {
                denied(&format!("creating map {name}"))
            } else {
                format!("cannot create the eBPF driver's map {name}: {io_error}")
            }
        }
        EbpfError::MapError(m) => format!("cannot create the eBPF driver's maps: {m}"),
        other => format!("cannot load the eBPF driver's programs: {other}"),
    }
}

/// Loads and attaches the programs (capture disabled) and returns their rings.
///
/// # Errors
/// One line saying what is wrong and what to do: no programs in this build, a kernel too old
/// or without BTF, BPF not permitted, a verifier rejection (with the end of its log), a
/// missing tracepoint.
pub fn open(opts: &Options) -> Result<RingSet, String> {
    if !programs_built() {
        return Err(
            "this falco was built without its eBPF programs (clang or libbpf-dev was \
                    missing): install clang and libbpf-dev and rebuild, or use engine.kind: kmod"
                .into(),
        );
    }
    let version = kernel_version(opts.osrelease.as_deref());
    if let Some((maj, min)) = version {
        if (maj, min) < MIN_KERNEL {
            return Err(format!(
                "kernel {maj}.{min} is too old for the modern eBPF driver (it needs {}.{} or \
                 later, with BTF): upgrade the kernel or use the kernel module (engine.kind: kmod)",
                MIN_KERNEL.0, MIN_KERNEL.1
            ));
        }
    }
    if version.is_some_and(|v| v < (5, 11)) {
        raise_memlock();
    }
    let attach = opts.attach.unwrap_or_else(|| default_attach(version));
    log::info!(
        "modern eBPF: syscall programs on {} tracepoints{}",
        match attach {
            Attach::Classic => "perf (raw_syscalls)",
            Attach::Btf => "BTF (tp_btf)",
        },
        if needs_fallbacks(version) {
            ", with fallback programs for preempted ones"
        } else {
            ""
        }
    );
    let object = match opts.test_object {
        None if attach == Attach::Classic => OBJECT_CLASSIC,
        None => OBJECT,
        Some(TestObject::VerifierReject) => TEST_REJECT,
        Some(TestObject::MissingTracepoint) => TEST_MISSING_TP,
    };
    let btf_path = opts
        .btf_path
        .clone()
        .unwrap_or_else(|| "/sys/kernel/btf/vmlinux".into());
    if !btf_path.is_file() {
        return Err(format!(
            "this kernel exposes no BTF ({} is missing; it needs CONFIG_DEBUG_INFO_BTF=y): use \
             the kernel module (engine.kind: kmod)",
            btf_path.display()
        ));
    }
    let btf = Btf::parse_file(&btf_path, aya::Endianness::default()).map_err(|e| {
        format!(
            "cannot read the kernel's BTF at {}: {e}",
            btf_path.display()
        )
    })?;
    let ncpus = aya::util::nr_cpus().map_err(|(what, e)| format!("{what}: {e}"))? as u32;
    let per = opts.cpus_for_each_buffer;
    let nrings = if per == 0 {
        1
    } else {
        ncpus.div_ceil(per).clamp(1, MAX_RINGS)
    };
    let ring_bytes = opts.buffer_bytes();
    let ring_size = u32::try_from(ring_bytes).map_err(|_| "buffer too large".to_string())?;
    let page = falco_ringreader::bpf::page_size() as u32;
    let names: Vec<String> = (0..MAX_RINGS).map(|i| format!("rb{i}")).collect();
    let mut loader = EbpfLoader::new();
    loader
        .btf(Some(&btf))
        .set_max_entries("scratch_map", ncpus * SCRATCH_SLOTS);
    for (i, n) in names.iter().enumerate() {
        loader.set_max_entries(n, if (i as u32) < nrings { ring_size } else { page });
    }
    let mut ebpf = loader.load(object).map_err(|e| explain_load(&e))?;
    let mut enter = take::<ProgramArray<MapData>>(&mut ebpf, "enter_progs")?;
    let mut exit = take::<ProgramArray<MapData>>(&mut ebpf, "exit_progs")?;
    let mut bodies = Vec::new();
    for (name, prog) in ebpf.programs_mut() {
        let (tracepoint, slot) = if let Some((nr, is_enter)) = program_syscall(name) {
            (
                if is_enter { "sys_enter" } else { "sys_exit" },
                Some((nr, is_enter)),
            )
        } else if let Some((_, tp, _)) = ATTACHED.iter().find(|(p, _, _)| *p == name) {
            (*tp, None)
        } else if let Some((_, tp, table)) = BODIES.iter().find(|(p, _, _)| *p == name) {
            bodies.push((name.to_string(), *table));
            (*tp, None)
        } else if let Some((_, tp)) = TEST_TRACEPOINTS.iter().find(|(p, _)| *p == name) {
            (*tp, None)
        } else {
            return Err(format!("eBPF program {name} is not in the loader's tables"));
        };
        let fd = match prog {
            Program::BtfTracePoint(p) => {
                p.load(tracepoint, &btf)
                    .map_err(|e| explain_program(name, tracepoint, &e))?;
                p.fd()
            }
            Program::TracePoint(p) => {
                p.load()
                    .map_err(|e| explain_program(name, tracepoint, &e))?;
                p.fd()
            }
            _ => return Err(format!("eBPF program {name} is not a tracepoint program")),
        }
        .map_err(|e| explain_program(name, tracepoint, &e))?;
        if let Some((nr, is_enter)) = slot {
            let table = if is_enter { &mut enter } else { &mut exit };
            table
                .set(nr as u32, fd, 0)
                .map_err(|e| format!("tail-call table for {name}: {e}"))?;
        }
    }
    let mut body_tables = Vec::new();
    for (name, table) in bodies {
        let mut t = take::<ProgramArray<MapData>>(&mut ebpf, table)?;
        let p: &BtfTracePoint = ebpf
            .program(&name)
            .ok_or_else(|| format!("the eBPF object has no program {name}"))?
            .try_into()
            .map_err(|e| format!("eBPF program {name}: {e}"))?;
        let fd = p.fd().map_err(|e| format!("eBPF program {name}: {e}"))?;
        t.set(0, fd, 0)
            .map_err(|e| format!("tail-call table for {name}: {e}"))?;
        body_tables.push(t);
    }
    let mut settings = take::<Array<MapData, Settings>>(&mut ebpf, "settings_map")?;
    let mut mask = take::<Array<MapData, Mask>>(&mut ebpf, "event_mask_map")?;
    let counters = take::<PerCpuArray<MapData, Counters>>(&mut ebpf, "counters_map")?;
    let initial = Settings {
        boot_offset: boot_offset(),
        enabled: 0,
        snaplen: DEFAULT_SNAPLEN,
        drop_failed: 0,
        cpus_per_ring: per,
        nrings,
        tree_root: opts.only_tree_of.unwrap_or(0),
    };
    settings
        .set(0, initial, 0)
        .map_err(|e| format!("eBPF settings map: {e}"))?;
    mask.set(
        0,
        Mask {
            words: EventMask::all().words,
        },
        0,
    )
    .map_err(|e| format!("eBPF event mask map: {e}"))?;
    // Attach last: a program runs only once its tables and settings are in place. Each
    // first program goes before its fallback: a tracepoint calls its programs in attach order.
    let mut firsts = Vec::new();
    for (name, tracepoint, tp) in ATTACHED {
        if name.ends_with("_b") && !needs_fallbacks(version) {
            continue;
        }
        let Some(prog) = ebpf.program_mut(name) else {
            continue;
        };
        let fd = match prog {
            Program::BtfTracePoint(p) => {
                p.attach()
                    .map_err(|e| explain_program(name, tracepoint, &e))?;
                p.fd()
            }
            Program::TracePoint(p) => {
                let category = if tracepoint.starts_with("sched_") {
                    "sched"
                } else {
                    "raw_syscalls"
                };
                p.attach(category, tracepoint)
                    .map_err(|e| explain_program(name, tracepoint, &e))?;
                p.fd()
            }
            _ => return Err(format!("eBPF program {name} is not a tracepoint program")),
        }
        .and_then(|fd| fd.try_clone().map_err(Into::into))
        .map_err(|e| format!("eBPF program {name}: {e}"))?;
        if !name.ends_with("_b") {
            firsts.push((*tp, fd));
        }
    }
    let mut rings = Vec::with_capacity(nrings as usize);
    for i in 0..nrings {
        let name = &names[i as usize];
        let map = ebpf
            .map(name)
            .ok_or_else(|| format!("the eBPF object has no map {name}"))?;
        let fd = match map {
            aya::maps::Map::RingBuf(d) => d.fd().as_fd().try_clone_to_owned(),
            _ => return Err(format!("eBPF map {name} is not a ring buffer")),
        }
        .map_err(|e| format!("dup of ring buffer {name}: {e}"))?;
        let first_cpu = if per == 0 { 0 } else { i * per };
        rings.push(Ring::bpf(fd, ring_bytes, first_cpu, name).map_err(|e| e.to_string())?);
    }
    let control = Control {
        inner: Mutex::new(Inner {
            _ebpf: ebpf,
            settings,
            mask,
            counters,
            _enter: enter,
            _exit: exit,
            _bodies: body_tables,
            firsts,
        }),
    };
    RingSet::from_driver(rings, Box::new(control)).map_err(|e| e.to_string())
}

fn take<T: TryFrom<aya::maps::Map>>(ebpf: &mut Ebpf, name: &str) -> Result<T, String>
where
    T::Error: std::fmt::Display,
{
    let m = ebpf
        .take_map(name)
        .ok_or_else(|| format!("the eBPF object has no map {name}"))?;
    T::try_from(m).map_err(|e| format!("eBPF map {name}: {e}"))
}

/// The programs and the maps the engine writes. The programs (in `_ebpf`) are dropped first,
/// detaching every tracepoint before the tables go.
struct Inner {
    _ebpf: Ebpf,
    settings: Array<MapData, Settings>,
    mask: Array<MapData, Mask>,
    counters: PerCpuArray<MapData, Counters>,
    _enter: ProgramArray<MapData>,
    _exit: ProgramArray<MapData>,
    _bodies: Vec<ProgramArray<MapData>>,
    /// Each first program's attach point and descriptor, to read its recursion misses.
    firsts: Vec<(usize, aya::programs::ProgramFd)>,
}

/// The [`Driver`] controls of the eBPF programs.
struct Control {
    inner: Mutex<Inner>,
}

fn map_err(what: &str, e: impl std::fmt::Display) -> RingError {
    RingError::Driver(format!("eBPF {what}: {e}"))
}

impl Control {
    fn update(&self, f: impl FnOnce(&mut Settings)) -> Result<(), RingError> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut s = g.settings.get(&0, 0).map_err(|e| map_err("settings", e))?;
        f(&mut s);
        g.settings.set(0, s, 0).map_err(|e| map_err("settings", e))
    }
}

impl Driver for Control {
    fn enable(&self) -> Result<(), RingError> {
        self.update(|s| s.enabled = 1)
    }

    fn disable(&self) -> Result<(), RingError> {
        self.update(|s| s.enabled = 0)
    }

    fn set_snaplen(&self, snaplen: u32) -> Result<(), RingError> {
        if snaplen == 0 || snaplen > MAX_SNAPLEN {
            return Err(RingError::Driver(format!(
                "snaplen {snaplen} is outside 1..={MAX_SNAPLEN}"
            )));
        }
        self.update(|s| s.snaplen = snaplen)
    }

    fn set_event_mask(&self, m: &EventMask) -> Result<(), RingError> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.mask
            .set(0, Mask { words: m.words }, 0)
            .map_err(|e| map_err("event mask", e))
    }

    fn set_drop_failed(&self, drop: bool) -> Result<(), RingError> {
        self.update(|s| s.drop_failed = drop.into())
    }

    fn counters(&self) -> (u64, DropCounts) {
        let (events, mut drops, misses, recovered) = self.read_counters();
        // Calls the kernel skipped for a first program that its fallback did not take over.
        for tp in 0..TP_COUNT {
            drops[TP_CATEGORY[tp] as usize] += misses[tp].saturating_sub(recovered[tp]);
        }
        (events, drops)
    }

    fn preemption(&self) -> Option<Preemption> {
        let (_, _, misses, recovered) = self.read_counters();
        Some(Preemption {
            skipped: misses.iter().sum(),
            recovered: recovered.iter().sum(),
        })
    }
}

type PerTp = [u64; TP_COUNT];

impl Control {
    /// Events, drops, each first program's recursion misses and the calls each fallback took
    /// over, summed over the CPUs.
    fn read_counters(&self) -> (u64, DropCounts, PerTp, PerTp) {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut drops = DropCounts::default();
        let mut events = 0;
        let mut recovered = [0u64; TP_COUNT];
        if let Ok(per_cpu) = g.counters.get(&0, 0) {
            for c in per_cpu.iter() {
                events += c.events;
                for (d, v) in drops.iter_mut().zip(c.drops) {
                    *d += v;
                }
                for (r, v) in recovered.iter_mut().zip(c.recovered) {
                    *r += v;
                }
            }
        }
        let mut misses = [0u64; TP_COUNT];
        for (tp, fd) in &g.firsts {
            misses[*tp] += recursion_misses(fd).unwrap_or(0);
        }
        (events, drops, misses, recovered)
    }
}

/// How many calls the kernel skipped for program `fd` because it was already running on that
/// CPU (`bpf_prog_info.recursion_misses`, Linux 5.12+; `None` before or on error).
fn recursion_misses(fd: &aya::programs::ProgramFd) -> Option<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: bpf_prog_info is plain old data; all zeros is a valid value.
    let mut info: aya_obj::generated::bpf_prog_info = unsafe { std::mem::zeroed() };
    #[repr(C)]
    struct InfoAttr {
        bpf_fd: u32,
        info_len: u32,
        info: u64,
    }
    let attr = InfoAttr {
        bpf_fd: fd.as_fd().as_raw_fd() as u32,
        info_len: std::mem::size_of_val(&info) as u32,
        info: &mut info as *mut _ as u64,
    };
    const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
    // SAFETY: `attr` is the command's attribute layout, and `info` (writable, `info_len` bytes)
    // outlives the call; the kernel writes at most `info_len` bytes into it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_OBJ_GET_INFO_BY_FD,
            &attr as *const InfoAttr,
            std::mem::size_of::<InfoAttr>(),
        )
    };
    (rc == 0).then_some(info.recursion_misses)
}
