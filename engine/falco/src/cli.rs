//! Falco's command-line flags, parsed into a raw form; `app` validates them together with the
//! configuration.

use clap::Parser;
use std::path::PathBuf;

/// Default configuration file.
pub const DEFAULT_CONFIG: &str = "/etc/falco/falco.yaml";

/// `falco` command line.
#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "falco",
    about = "Falco-compatible runtime security monitor",
    disable_version_flag = true
)]
pub struct Cli {
    /// Configuration file.
    #[arg(short = 'c', value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Rules file or directory (repeatable); replaces `rules_files` from the configuration.
    #[arg(short = 'r', value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Override a configuration key: `-o key.path=value` (repeatable; list indices allowed).
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,

    /// Deprecated: replay a capture file (use `-o engine.kind=replay -o engine.replay.capture_file=FILE`).
    #[arg(short = 'e', value_name = "FILE")]
    pub replay_file: Option<PathBuf>,

    /// Deprecated and ignored: all events are always evaluated (Falco's `-A`).
    #[arg(short = 'A')]
    pub all_events: bool,

    /// Stop after this many seconds.
    #[arg(short = 'M', value_name = "SECONDS")]
    pub duration_secs: Option<u64>,

    /// List the loaded rules with their descriptions and exit.
    #[arg(short = 'L')]
    pub list_rules: bool,

    /// Describe one rule (or macro/list) and exit.
    #[arg(short = 'l', value_name = "RULE")]
    pub describe_rule: Option<String>,

    /// List the fields (of SOURCE, or all) and exit.
    #[arg(long = "list", value_name = "SOURCE", num_args = 0..=1, default_missing_value = "")]
    pub list_fields: Option<String>,

    /// With --list: print names only.
    #[arg(short = 'N')]
    pub names_only: bool,

    /// With --list: `markdown` or `json`.
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Option<String>,

    /// Validate rules files and exit (repeatable).
    #[arg(short = 'V', long = "validate", value_name = "PATH")]
    pub validate: Vec<PathBuf>,

    /// Load the configuration and rules, then exit without capturing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Unbuffered outputs (same as `-o buffered_outputs=false`).
    #[arg(short = 'U', long = "unbuffered")]
    pub unbuffered: bool,

    /// Write the process id here (live runs; none unless asked, as in Falco).
    #[arg(long = "pidfile", value_name = "PATH")]
    pub pidfile: Option<PathBuf>,

    /// Disable rules whose name matches this substring (repeatable).
    #[arg(short = 'D', value_name = "PATTERN")]
    pub disable_rules: Vec<String>,

    /// Only enable rules with this tag (repeatable).
    #[arg(short = 't', value_name = "TAG")]
    pub only_tags: Vec<String>,

    /// Disable rules with this tag (repeatable).
    #[arg(short = 'T', value_name = "TAG")]
    pub disable_tags: Vec<String>,

    /// Enable only this event source (repeatable; Falco's flag, as the Helm chart passes it).
    #[arg(long = "enable-source", value_name = "SOURCE")]
    pub enable_source: Vec<String>,

    /// Disable this event source (repeatable). Without any source left the start is refused.
    #[arg(long = "disable-source", value_name = "SOURCE")]
    pub disable_source: Vec<String>,

    /// Print the version and exit.
    #[arg(long = "version")]
    pub version: bool,

    /// Print support information (version, configuration, rules files) as JSON and exit.
    #[arg(long = "support")]
    pub support: bool,
}
