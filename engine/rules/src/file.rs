//! Reading a rules or configuration file: only a regular file, and only up to
//! [`MAX_FILE_BYTES`], so `/dev/zero` cannot exhaust memory and a FIFO cannot block start-up or
//! a reload for ever.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest rules or configuration file read (Falco's own rules are about 200 KB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most [`MAX_FILE_BYTES`] as UTF-8 text, without its byte-order
/// mark if it has one.
///
/// # Errors
/// The OS error; `not a regular file` for a device, FIFO, socket or directory; `larger than
/// the limit of N bytes` for a bigger file; for bytes that are not UTF-8, an error of kind
/// `InvalidData` wrapping an [`InvalidUtf8`] with their line and column.
pub fn read_text(path: &Path) -> io::Result<String> {
    // Checked before opening: opening a FIFO blocks until a writer appears.
    regular(&std::fs::metadata(path)?)?;
    let f = File::open(path)?;
    // Checked again on the opened file, in case the path was replaced in between.
    regular(&f.metadata()?)?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "larger than the limit of {MAX_FILE_BYTES} bytes"
        )));
    }
    decode_text(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The byte-order mark some editors write at the start of a UTF-8 file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes that are not UTF-8, at a position in the text (1-based; the column counts the
/// characters before it on its line, as the YAML positions do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// Line.
    pub line: usize,
    /// Column.
    pub col: usize,
    /// Byte offset in the text (after any byte-order mark).
    pub offset: usize,
}

impl std::fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid UTF-8 at line {} column {}", self.line, self.col)
    }
}

impl std::error::Error for InvalidUtf8 {}

impl InvalidUtf8 {
    /// The position of an [`InvalidUtf8`] carried by an error of [`read_text`], if any.
    pub fn of(e: &io::Error) -> Option<InvalidUtf8> {
        e.get_ref()?.downcast_ref::<InvalidUtf8>().copied()
    }
}

/// `bytes` as text without a leading byte-order mark.
///
/// # Errors
/// Where the first byte that is not UTF-8 is.
pub fn decode_text(mut bytes: Vec<u8>) -> Result<String, InvalidUtf8> {
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        // PANIC: none; `valid_up_to` bounds a valid UTF-8 prefix.
        let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line_start = valid.rfind('\n').map_or(0, |p| p + 1);
        InvalidUtf8 {
            line: valid.matches('\n').count() + 1,
            col: valid[line_start..].chars().count() + 1,
            offset,
        }
    })
}

fn regular(m: &std::fs::Metadata) -> io::Result<()> {
    if m.is_file() {
        Ok(())
    } else {
        Err(io::Error::other("not a regular file"))
    }
}
