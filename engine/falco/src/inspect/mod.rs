//! `falco-inspect`: a sysdig-like viewer for `.scap` captures.
//!
//! Reads a capture, optionally converts old layouts, filters events, and prints them (default
//! line, or a `-p` format of `%field` tokens), counts them (`--stats`), or writes them to a new
//! capture (`-w`).

pub mod format;
pub mod stateful;
pub mod syscalls;
pub mod threads;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Parser;
use falco_scap::{CaptureReader, CaptureWriter, ScapError};

use crate::capture::live::{capture_live, LiveCapture};
use format::{EventContext, Format};
use threads::ThreadTable;

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(
    name = "falco-inspect",
    about = "Print, filter, count and rewrite .scap capture files"
)]
pub struct Cli {
    /// Capture to read (plain or gzip).
    #[arg(
        short = 'r',
        long = "read",
        value_name = "FILE",
        required_unless_present = "live"
    )]
    pub read: Option<PathBuf>,
    /// Capture live from the kernel module's rings (/dev/falcoN) into the -w file.
    #[arg(long, requires = "write", conflicts_with = "read")]
    pub live: bool,
    /// With --live: capture through the modern eBPF driver instead of the kernel module (as
    /// sysdig's --modern-bpf).
    #[arg(long = "modern-bpf", requires = "live")]
    pub modern_bpf: bool,
    /// With --live: stop after this many seconds.
    #[arg(short = 'M', long = "duration", value_name = "SECONDS")]
    pub duration: Option<u64>,
    /// With --live: ask this container runtime for the metadata written into the capture
    /// (`ENGINE=SOCKET`, ENGINE one of docker, podman, containerd, cri; repeatable). Without
    /// it, the container plugin's default sockets; `none` writes no container metadata.
    #[arg(
        long = "container-socket",
        value_name = "ENGINE=SOCKET",
        requires = "live"
    )]
    pub container_sockets: Vec<String>,
    /// With --live: stop after this many events.
    #[arg(short = 'n', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Show the stream after old event layouts are upgraded to the current schema.
    #[arg(long)]
    pub convert: bool,
    /// Output format made of %field tokens, e.g. '%evt.num %evt.type %thread.tid %fd.name'.
    /// Any field of `falco --list` works: the event's own fields are printed from the
    /// record (arguments unresolved), the others from the replay state; missing ones print
    /// `<NA>`.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Write the (filtered) events to a new capture instead of printing them.
    #[arg(short = 'w', long = "write", value_name = "OUT")]
    pub write: Option<PathBuf>,
    /// Gzip-compress the capture written with -w.
    #[arg(short = 'z', long)]
    pub compress: bool,
    /// Print the number of events per event type instead of the events.
    #[arg(long)]
    pub stats: bool,
    /// Rules files whose lists and macros the filter may use (loaded in order, as `falco -r`).
    #[arg(long = "rules", value_name = "RULES_FILE")]
    pub rules: Vec<PathBuf>,
    /// Event filter in Falco's condition language, e.g. 'evt.type=open and fd.name contains /etc'.
    #[arg(value_name = "FILTER", num_args = 0.., trailing_var_arg = true)]
    pub filter: Vec<String>,
}

/// Why the tool failed; printed on stderr with exit code 1.
#[derive(Debug)]
pub enum InspectError {
    /// The capture could not be read or written.
    Scap(ScapError),
    /// The filter or format did not parse.
    Usage(String),
    /// Writing the output failed.
    Output(io::Error),
    /// The `-w` file could not be created (`opened` false) or written: the tool's own output,
    /// not the capture it reads.
    Write {
        /// The `-w` path.
        path: PathBuf,
        /// False when creating the file failed.
        opened: bool,
        /// The error.
        source: ScapError,
    },
}

impl InspectError {
    fn write(path: &Path, opened: bool) -> impl FnOnce(ScapError) -> InspectError + '_ {
        move |source| InspectError::Write {
            path: path.to_path_buf(),
            opened,
            source,
        }
    }
}

impl std::fmt::Display for InspectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InspectError::Scap(e) => write!(f, "{e}"),
            InspectError::Usage(m) => write!(f, "{m}"),
            InspectError::Output(e) => write!(f, "output error: {e}"),
            InspectError::Write {
                path,
                opened,
                source,
            } => {
                // sysdig's words (`can't open OUT`, `error writing to file`), with the cause.
                let cause: &dyn std::fmt::Display = match source {
                    ScapError::Io { source, .. } => source,
                    other => other,
                };
                if *opened {
                    write!(f, "error writing to {}: {cause}", path.display())
                } else {
                    write!(f, "can't open {}: {cause}", path.display())
                }
            }
        }
    }
}

impl From<ScapError> for InspectError {
    fn from(e: ScapError) -> Self {
        InspectError::Scap(e)
    }
}

impl From<io::Error> for InspectError {
    fn from(e: io::Error) -> Self {
        InspectError::Output(e)
    }
}

/// Runs the tool with parsed flags, writing to `out`.
///
/// # Errors
/// Any read, parse or write error.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<(), InspectError> {
    let Some(read) = cli.read.as_ref() else {
        return live(cli, out);
    };
    // The capture is opened twice (state, then events), so it must be a file; a FIFO would
    // also block the open until a writer appears.
    if std::fs::metadata(read).is_ok_and(|m| !m.is_file()) {
        return Err(InspectError::Usage(format!(
            "{}: not a regular file",
            read.display()
        )));
    }
    let catalog = falco_sinsp::fields::SyscallCatalog::new();
    let fmt = match &cli.format {
        Some(s) => Format::parse_with(s, &catalog).map_err(InspectError::Usage)?,
        None => Format::default_line(),
    };
    // The full condition language, evaluated on each stored event with the engine's state;
    // the same state answers the format's state fields.
    let filter = if cli.filter.is_empty() {
        None
    } else {
        let text = cli.filter.join(" ");
        Some(stateful::compile_filter(&text, &cli.rules, &catalog).map_err(InspectError::Usage)?)
    };
    let mut stateful = if filter.is_some() || fmt.needs_state() {
        let mut cap = stateful::StatefulCapture::open(read)?;
        cap.set_converted_view(cli.convert);
        Some(cap)
    } else {
        None
    };
    let mut state_vals: Vec<String> = Vec::new();

    let mut reader = CaptureReader::open(read)?;
    reader.set_convert(cli.convert);
    let mut threads = ThreadTable::from_metadata(reader.metadata());
    let mut writer = match &cli.write {
        Some(p) => Some((
            p.as_path(),
            CaptureWriter::create(p, cli.compress, reader.metadata())
                .map_err(InspectError::write(p, false))?,
        )),
        None => None,
    };
    let mut counts: BTreeMap<(String, char), u64> = BTreeMap::new();
    let mut line = String::with_capacity(256);
    let mut num = 0u64;
    while let Some(ev) = reader.next_event()? {
        num += 1;
        let rec = ev.record;
        let info = ringbuf_abi::event_info(rec.evtype());
        let name = syscalls::event_name(&rec, info);
        threads.update(&rec, info);
        if let Some(cap) = stateful.as_mut() {
            // A second reader over the same file keeps the state in step with this one.
            let mut pass = false;
            cap.next_event(&mut |_, ctx| {
                pass = filter.as_ref().is_none_or(|f| f.eval(ctx));
                if pass && fmt.needs_state() {
                    fmt.render_state(ctx, &mut state_vals);
                }
            })?;
            if !pass {
                continue;
            }
        }
        if let Some((p, w)) = writer.as_mut() {
            w.write_event(ev.cpu, ev.flags, &rec)
                .map_err(InspectError::write(p, true))?;
            continue;
        }
        if cli.stats {
            let dir = info.map_or('?', |i| i.direction.as_char());
            *counts.entry((name.into_owned(), dir)).or_insert(0) += 1;
            continue;
        }
        line.clear();
        let ctx = EventContext {
            num,
            cpu: ev.cpu,
            record: &rec,
            info,
            name: &name,
            threads: &threads,
        };
        fmt.render(&ctx, &state_vals, &mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    if let Some((p, w)) = writer {
        w.close().map_err(InspectError::write(p, true))?;
    }
    if cli.stats {
        let mut rows: Vec<_> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total: u64 = rows.iter().map(|r| r.1).sum();
        for ((name, dir), n) in rows {
            writeln!(out, "{n:>10} {dir} {name}")?;
        }
        writeln!(out, "{total:>10}   total")?;
    }
    out.flush()?;
    Ok(())
}

/// The runtimes `--container-socket` names (all off but those), or the container plugin's
/// defaults when it is absent; `none` alone turns container metadata off.
fn container_engines(
    args: &[String],
) -> Result<Option<falco_containers::EnginesConfig>, InspectError> {
    use falco_containers::{EngineKind, EnginesConfig};
    if args.is_empty() {
        return Ok(Some(EnginesConfig::default()));
    }
    if args.iter().any(|a| a == "none") {
        return Ok(None);
    }
    let mut cfg = EnginesConfig::none();
    for a in args {
        let (engine, sock) = a.split_once('=').ok_or_else(|| {
            InspectError::Usage(format!("--container-socket {a}: want ENGINE=SOCKET"))
        })?;
        let kind = [
            EngineKind::Docker,
            EngineKind::Podman,
            EngineKind::Containerd,
            EngineKind::Cri,
        ]
        .into_iter()
        .find(|k| k.key() == engine)
        .ok_or_else(|| {
            InspectError::Usage(format!(
                "--container-socket {a}: unknown engine `{engine}` (docker, podman, containerd, cri)"
            ))
        })?;
        let e = cfg.engine_mut(kind);
        e.enabled = true;
        e.sockets.push(PathBuf::from(sock));
    }
    Ok(Some(cfg))
}

/// `--live -w OUT`: every event the module produces, with the host's process, fd and user lists,
/// until -M seconds, -n events, or SIGINT/SIGTERM.
fn live(cli: &Cli, out: &mut dyn Write) -> Result<(), InspectError> {
    let Some(path) = cli.write.clone() else {
        return Err(InspectError::Usage("--live needs -w OUT".into()));
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).map_err(InspectError::Output)?;
    }
    let driver = if cli.modern_bpf {
        crate::source::kmod::Driver::ModernEbpf(falco_ebpf::Options::default().with_env())
    } else {
        crate::source::kmod::Driver::Kmod(PathBuf::from("/dev"))
    };
    let c = LiveCapture {
        driver,
        out: path.clone(),
        gzip: cli.compress,
        max_events: cli.count,
        duration: cli.duration.map(std::time::Duration::from_secs),
        mask: ringbuf_abi::ioctl::EventMask::all(),
        snaplen: ringbuf_abi::ioctl::DEFAULT_SNAPLEN,
        containers: container_engines(&cli.container_sockets)?,
    };
    let n = capture_live(&c, &stop, || {
        crate::stdio::eprint(&format!("capturing to {}\n", c.out.display()));
    })
    .map_err(InspectError::Usage)?;
    writeln!(out, "{n} events written to {}", path.display())?;
    out.flush()?;
    Ok(())
}
