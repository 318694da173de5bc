//! The modern eBPF driver: CO-RE tracepoint programs (`bpf/*.c`, compiled by clang at build
//! time and embedded here) that write the same scap V2 records as the kernel module into BPF
//! ring buffers, and their loader.
//!
//! [`open`] checks the kernel, loads and verifies every program against the running kernel's
//! BTF, fills the tail-call tables, attaches the tracepoints with capture disabled and returns
//! the rings as a [`RingSet`]: the engine reads them exactly as it reads the module's rings
//! (one merge), and drives the programs through the set's [`Driver`] controls (enable,
//! snaplen, event mask, drop_failed_exit), which write the programs' settings maps in place.
//!
//! Nothing is pinned: the programs and maps live as long as the returned set, held by this
//! process only.
#![deny(missing_docs)]

mod load;
mod maps;
pub mod syscalls;

use std::path::PathBuf;

pub use load::{fixed_programs, open, programs_built, OBJECT, OBJECT_CLASSIC};

/// Test-only objects the loader can be pointed at (through [`Options::test_object`]) to produce
/// the refusals that this kernel never gives with the real programs, through the same code path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestObject {
    /// A `sys_enter` program that the verifier must reject (an unbounded map-value access).
    VerifierReject,
    /// A program whose tracepoint no kernel has.
    MissingTracepoint,
}

impl TestObject {
    /// The value of `FALCO_EBPF_TEST_OBJECT` (`verifier-reject`, `missing-tracepoint`).
    pub fn from_name(name: &str) -> Option<TestObject> {
        match name {
            "verifier-reject" => Some(TestObject::VerifierReject),
            "missing-tracepoint" => Some(TestObject::MissingTracepoint),
            _ => None,
        }
    }
}

/// How to set the driver up: Falco's `engine.modern_ebpf` keys and test hooks.
#[derive(Clone, Debug)]
pub struct Options {
    /// CPUs sharing one ring buffer (`engine.modern_ebpf.cpus_for_each_buffer`); 0 puts every
    /// CPU on one buffer.
    pub cpus_for_each_buffer: u32,
    /// Ring buffer size preset (`engine.modern_ebpf.buf_size_preset`): 1=1 MiB, 2=2 MiB,
    /// 3=4 MiB, 4=8 MiB ... 10=512 MiB; 0 means the default (8 MiB).
    pub buf_size_preset: u32,
    /// Capture only this process and its descendants (tests on a shared machine).
    pub only_tree_of: Option<u32>,
    /// The kernel BTF to load against (default `/sys/kernel/btf/vmlinux`).
    pub btf_path: Option<PathBuf>,
    /// Test hook: the kernel release to check instead of the running one's (env
    /// `FALCO_EBPF_OSRELEASE` for `falco`), to produce the "kernel too old" refusal.
    pub osrelease: Option<String>,
    /// Test hook: load a test-only object instead of the driver's programs (env
    /// `FALCO_EBPF_TEST_OBJECT` for `falco`).
    pub test_object: Option<TestObject>,
    /// How `sys_enter`/`sys_exit` attach (env `FALCO_EBPF_ATTACH` = `btf` | `classic`);
    /// `None` chooses by kernel (see [`Attach`]).
    pub attach: Option<Attach>,
}

/// How the syscall programs attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attach {
    /// BTF-typed tracepoints (`tp_btf`): the fastest, but on kernels whose syscall
    /// tracepoints are faultable (7.x) the kernel runs them preemptibly and skips one while it
    /// is preempted; a fallback copy takes over most of those calls, the rest are counted.
    Btf,
    /// Perf tracepoints (`raw_syscalls`), run with preemption disabled on every kernel: never
    /// skipped. Needs `bpf_task_pt_regs` (5.15+).
    Classic,
}

impl Attach {
    /// The name `FALCO_EBPF_ATTACH` takes.
    pub fn from_name(name: &str) -> Option<Attach> {
        match name {
            "btf" => Some(Attach::Btf),
            "classic" => Some(Attach::Classic),
            _ => None,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cpus_for_each_buffer: 2,
            buf_size_preset: 4,
            only_tree_of: None,
            btf_path: None,
            osrelease: None,
            test_object: None,
            attach: None,
        }
    }
}

impl Options {
    /// Applies the `FALCO_EBPF_*` environment overrides (the test hooks `falco` and
    /// `falco-inspect` honour): `FALCO_EBPF_ONLY_TREE_OF`, `FALCO_EBPF_BTF`,
    /// `FALCO_EBPF_OSRELEASE`, `FALCO_EBPF_TEST_OBJECT`, `FALCO_EBPF_ATTACH`.
    pub fn with_env(mut self) -> Options {
        if let Some(pid) = std::env::var("FALCO_EBPF_ONLY_TREE_OF")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            self.only_tree_of = Some(pid);
        }
        if let Some(p) = std::env::var_os("FALCO_EBPF_BTF") {
            self.btf_path = Some(p.into());
        }
        if let Ok(r) = std::env::var("FALCO_EBPF_OSRELEASE") {
            self.osrelease = Some(r);
        }
        if let Ok(t) = std::env::var("FALCO_EBPF_TEST_OBJECT") {
            self.test_object = TestObject::from_name(&t);
        }
        if let Ok(a) = std::env::var("FALCO_EBPF_ATTACH") {
            self.attach = Attach::from_name(&a);
        }
        self
    }

    /// Bytes of each ring buffer for this preset.
    pub fn buffer_bytes(&self) -> u64 {
        match self.buf_size_preset {
            0 => 8 << 20,
            p => 1u64 << (20 + p.min(10) - 1),
        }
    }
}
