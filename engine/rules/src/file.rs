//! Reading a rules or configuration file: only a regular file, and only up to
//! [`MAX_FILE_BYTES`], so `/dev/zero` cannot exhaust memory and a FIFO cannot block start-up or
//! a reload for ever.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest rules or configuration file read (Falco's own rules are about 200 KB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most [`MAX_FILE_BYTES`] as UTF-8 text.
///
/// # Errors
/// The OS error; `not a regular file` for a device, FIFO, socket or directory; `larger than
/// the limit of N bytes` for a bigger file; invalid UTF-8 as `read_to_string` reports it.
pub fn read_text(path: &Path) -> io::Result<String> {
    // Checked before opening: opening a FIFO blocks until a writer appears.
    regular(&std::fs::metadata(path)?)?;
    let f = File::open(path)?;
    // Checked again on the opened file, in case the path was replaced in between.
    regular(&f.metadata()?)?;
    let mut text = String::new();
    f.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "larger than the limit of {MAX_FILE_BYTES} bytes"
        )));
    }
    Ok(text)
}

fn regular(m: &std::fs::Metadata) -> io::Result<()> {
    if m.is_file() {
        Ok(())
    } else {
        Err(io::Error::other("not a regular file"))
    }
}
