//! The `falco` engine and the `falco-inspect` viewer, as a library their binaries call.
//!
//! Dependencies point one way: `app` → `pipeline` → `load` → `config`, with `source` and
//! `capture` below the pipeline and `fatal` and `cli` at the bottom. Startup and reload load
//! through `load` alike. A new driver goes in `source/`, a new stage or a server that reads the
//! pipeline's counters beside the modules of `pipeline/`, a new output in the `falco-outputs`
//! crate.

/// The program: the `Action` the CLI picks, loading the configuration, its exit code.
pub mod app;
/// Capture metadata both ways (bootstrap, host_meta) and live capture writing.
pub mod capture;
/// The command-line flags, as parsed.
pub mod cli;
/// `falco.yaml` with its includes and `-o` overrides, validated into `Config`.
pub mod config;
/// Errors that end the program, reported as `Error: ...` in one place.
pub mod fatal;
/// `falco-inspect`: print, filter, count and rewrite captures.
pub mod inspect;
/// Configuration and rules loading, shared by startup and reload.
pub mod load;
/// The running engine: state stage, evaluators, reorder, alerts, reload.
pub mod pipeline;
/// Where records come from: replay of a capture, the kernel module's rings.
pub mod source;
/// The program's own output on stdout and stderr, with write errors handled instead of panicking.
pub mod stdio;
/// The webserver's and the k8s_audit webhook's shared listener parts: TLS acceptor, accept loop.
pub mod tls;
