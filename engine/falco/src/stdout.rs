//! The program's own output on stdout (`--version`, `--support`, `--list`, `-L`, `-l`, `-V`
//! and the end-of-run summary), written through one function: `print!` panics when stdout is
//! closed or full, this reports [`Fatal::Stdout`] instead.

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
