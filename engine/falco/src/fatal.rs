//! The errors that end the program, and the one place that reports them: `Error: <text>` on
//! stderr and exit code 1. Startup actions return a [`Fatal`]; the running pipeline reports one
//! when its source fails and then shuts down in order.

use crate::config::ConfigError;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Why the program cannot go on; its `Display` is the text after `Error: `.
#[derive(Debug)]
pub enum Fatal {
    /// The configuration does not load.
    Config(ConfigError),
    /// `--format` names no list format.
    ListFormat(String),
    /// A file given to `-V` cannot be read (the loader's message).
    ValidateRead(String),
    /// Neither the configuration nor `-r` names a rules file.
    NoRulesFiles,
    /// The rules files do not load; carries the loader's report, printed before the error.
    Rules(String),
    /// `-l NAME` names no rule, macro or list.
    NoSuchItem(String),
    /// The detection configuration cannot be built around the rules.
    Detection(String),
    /// The `*_output` sections do not deserialize.
    OutputConfig(serde_yaml::Error),
    /// An output cannot start.
    Outputs(falco_outputs::OutputsError),
    /// The signal handlers cannot be installed.
    Signals(std::io::Error),
    /// `engine.kind` is replay without a capture file.
    NoCaptureFile,
    /// The capture to replay cannot be opened.
    Replay(PathBuf, falco_scap::ScapError),
    /// The host's process table cannot be read for the live state.
    Proc(std::io::Error),
    /// A source cannot start or cannot go on (its own message).
    Source(String),
    /// Stdout does not take the program's output (closed, full).
    Stdout(std::io::Error),
    /// The pid file is another running instance's, or a link.
    PidFile(String),
    /// `--enable-source`/`--disable-source` name an unknown source, mix, or leave none.
    Sources(String),
    /// The webserver cannot start (port in use, bad address, unreadable or invalid certificate).
    Webserver(String),
}

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fatal::Config(e) => write!(f, "{e}"),
            Fatal::ListFormat(other) => {
                write!(f, "--format must be markdown or json, not `{other}`")
            }
            Fatal::ValidateRead(message) => write!(f, "{message}"),
            Fatal::NoRulesFiles => write!(
                f,
                "no rules files: set `rules_files` in the configuration or pass -r"
            ),
            Fatal::Rules(_) => write!(f, "could not load rules files"),
            Fatal::NoSuchItem(name) => write!(f, "no rule, macro or list named `{name}`"),
            Fatal::Detection(e) => write!(f, "{e}"),
            Fatal::OutputConfig(e) => write!(f, "invalid output configuration: {e}"),
            Fatal::Outputs(e) => write!(f, "cannot start outputs: {e}"),
            Fatal::Signals(e) => write!(f, "cannot install signal handlers: {e}"),
            Fatal::NoCaptureFile => write!(
                f,
                "engine.kind is replay but engine.replay.capture_file is not set"
            ),
            Fatal::Replay(path, e) => write!(f, "{}: {e}", path.display()),
            Fatal::Proc(e) => write!(f, "cannot read /proc: {e}"),
            Fatal::Source(e) => write!(f, "{e}"),
            Fatal::Stdout(e) => write!(f, "cannot write to stdout: {e}"),
            Fatal::PidFile(e) => write!(f, "{e}"),
            Fatal::Sources(e) => write!(f, "{e}"),
            Fatal::Webserver(e) => write!(f, "webserver: {e}"),
        }
    }
}

impl std::error::Error for Fatal {}

impl Fatal {
    /// Prints the error (after the loader's report, for rules) and returns the exit code.
    pub fn report(&self) -> ExitCode {
        // A reader that went away (`| head`) is not an error worth reporting, as in
        // falco-inspect.
        if let Fatal::Stdout(e) = self {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return ExitCode::SUCCESS;
            }
        }
        // Written here rather than through `stdio`, which reports its errors as a `Fatal`: a
        // stderr that cannot take the message is ignored, the exit status still tells.
        let mut err = std::io::stderr().lock();
        if let Fatal::Rules(report) = self {
            let _ = err.write_all(report.as_bytes());
        }
        let _ = writeln!(err, "Error: {self}");
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_falcos() {
        for (fatal, text) in [
            (
                Fatal::ListFormat("yaml".into()),
                "--format must be markdown or json, not `yaml`",
            ),
            (
                Fatal::NoRulesFiles,
                "no rules files: set `rules_files` in the configuration or pass -r",
            ),
            (
                Fatal::Rules("r.yaml: Invalid\n".into()),
                "could not load rules files",
            ),
            (
                Fatal::NoSuchItem("x".into()),
                "no rule, macro or list named `x`",
            ),
            (
                Fatal::NoCaptureFile,
                "engine.kind is replay but engine.replay.capture_file is not set",
            ),
            (Fatal::Source("ring gone".into()), "ring gone"),
        ] {
            assert_eq!(fatal.to_string(), text);
        }
    }
}
