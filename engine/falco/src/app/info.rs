//! The actions that describe this build and its setup: `--version` and `--support`.

use crate::config::Loaded;
use crate::fatal::Fatal;
use std::path::Path;

/// Version string printed by `--version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `--version`: this build's version and the versions it is compatible with.
pub fn print_version() -> Result<(), Fatal> {
    crate::stdio::print(&format!(
        "Falco version: {VERSION} (falco-rs, x86_64)\n\
         Libs version:  0.25.0 (compatible event schema)\n\
         Engine:        0.44.0 (compatible rules language)\n\
         Driver:\n  \
         API version:    {}\n  \
         Event table:    {} events\n",
        ringbuf_abi::ring::ABI_VERSION,
        ringbuf_abi::EVENT_COUNT
    ))
}

/// `--support`: version, system, command line, configuration files and rules files with their
/// contents, as one JSON object (what Falco's `--support` gives a bug report).
pub fn support_json(loaded: &Loaded) -> serde_json::Value {
    let system = match crate::pipeline::metrics::uname() {
        Some(u) => {
            serde_json::json!({"sysname": u.sysname, "nodename": u.nodename, "release": u.release, "version": u.version, "machine": u.machine})
        }
        None => serde_json::Value::Null,
    };
    let read = |p: &Path| falco_rules::file::read_text(p).unwrap_or_default();
    let rules: Vec<serde_json::Value> = crate::load::rules_file_paths(&loaded.config.rules_files)
        .iter()
        .map(|f| serde_json::json!({"name": f.display().to_string(), "content": read(f)}))
        .collect();
    serde_json::json!({
        "version": VERSION,
        "engine_info": {"engine_version": "0.44.0", "event_table_size": ringbuf_abi::EVENT_COUNT, "driver_abi": ringbuf_abi::ring::ABI_VERSION},
        "system_info": system,
        "cmdline": std::env::args().collect::<Vec<_>>().join(" "),
        "config_files": loaded.files.iter().map(|f| serde_json::json!({"name": f.display().to_string(), "content": read(f)})).collect::<Vec<_>>(),
        "rules_files": rules,
    })
}
