//! The program's own output: on stdout (`--version`, `--support`, `--list`, `-L`, `-l`, `-V`
//! and the end-of-run summary) and its messages on stderr. `print!` and `eprint!` panic when
//! the stream is closed or full; these report [`Fatal::Stdout`] or carry on.

use crate::fatal::Fatal;
use std::io::Write;

/// Writes `text` to stdout and flushes it.
///
/// # Errors
/// [`Fatal::Stdout`] when stdout cannot take it (a closed pipe, a full disk).
pub fn print(text: &str) -> Result<(), Fatal> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Fatal::Stdout)
}

/// Writes `text` to stderr. A stderr that cannot take it is ignored: it is where errors would
/// be reported, and the exit status still tells.
pub fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
