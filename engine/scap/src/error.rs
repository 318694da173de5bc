//! Typed errors of the capture reader and writer. Every reader error names the byte offset in
//! the (decompressed) stream where the problem was found.

use std::fmt;
use std::io;

/// Why a capture could not be read or written.
#[derive(Debug)]
pub enum ScapError {
    /// The file could not be opened or read (not a format problem).
    Io {
        /// Offset in the decompressed stream where the read failed.
        offset: u64,
        /// The underlying error.
        source: io::Error,
    },
    /// The gzip layer reported corrupt compressed data.
    Gzip {
        /// Decompressed bytes successfully produced before the failure.
        offset: u64,
        /// The decoder's error.
        source: io::Error,
    },
    /// The stream ended inside a block.
    Truncated {
        /// Offset of the block that is cut short.
        offset: u64,
        /// Bytes the block needs.
        needed: u64,
        /// Bytes that were available.
        available: u64,
    },
    /// The file does not start with a section header block, or its byte-order magic is wrong.
    BadMagic {
        /// Offset of the offending word.
        offset: u64,
        /// The value found.
        found: u32,
    },
    /// The section header announces a major version this reader does not know.
    UnsupportedVersion {
        /// Offset of the section header block.
        offset: u64,
        /// Major version found.
        major: u16,
        /// Minor version found.
        minor: u16,
    },
    /// A block's total length is impossible (too small, not a multiple of 4, larger than the
    /// reader accepts) or its trailer does not repeat it.
    BadBlockLength {
        /// Offset of the block.
        offset: u64,
        /// Block type id.
        block_type: u32,
        /// Length in the block header.
        length: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A metadata block (machine info, process, fd, interface or user list) is malformed.
    BadBlock {
        /// Offset of the field that could not be parsed.
        offset: u64,
        /// Block type id.
        block_type: u32,
        /// What is wrong.
        reason: String,
    },
    /// An event record inside an event block is malformed.
    BadEvent {
        /// Offset of the event record (after the cpu id and flags).
        offset: u64,
        /// What is wrong.
        source: ringbuf_abi::DecodeError,
    },
    /// An old (V1) event record whose parameter lengths do not add up to its length for any
    /// parameter count.
    BadV1Event {
        /// Offset of the event record.
        offset: u64,
        /// The event type.
        evtype: u16,
        /// The record length in the header.
        len: u32,
    },
    /// The writer was given something it cannot encode.
    Unencodable {
        /// What could not be encoded.
        reason: String,
    },
}

impl ScapError {
    /// The byte offset in the decompressed stream the error refers to, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            ScapError::Io { offset, .. }
            | ScapError::Gzip { offset, .. }
            | ScapError::Truncated { offset, .. }
            | ScapError::BadMagic { offset, .. }
            | ScapError::UnsupportedVersion { offset, .. }
            | ScapError::BadBlockLength { offset, .. }
            | ScapError::BadBlock { offset, .. }
            | ScapError::BadEvent { offset, .. }
            | ScapError::BadV1Event { offset, .. } => Some(*offset),
            ScapError::Unencodable { .. } => None,
        }
    }
}

impl fmt::Display for ScapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScapError::Io { offset, source } => {
                write!(f, "at byte offset {offset}: read error: {source}")
            }
            ScapError::Gzip { offset, source } => write!(
                f,
                "at byte offset {offset} (decompressed): corrupt gzip data: {source}"
            ),
            ScapError::Truncated {
                offset,
                needed,
                available,
            } => write!(
                f,
                "at byte offset {offset}: truncated block: needs {needed} bytes, {available} available"
            ),
            ScapError::BadMagic { offset, found } => write!(
                f,
                "at byte offset {offset}: not a scap capture: bad magic 0x{found:08x}"
            ),
            ScapError::UnsupportedVersion {
                offset,
                major,
                minor,
            } => write!(
                f,
                "at byte offset {offset}: unsupported capture version {major}.{minor}"
            ),
            ScapError::BadBlockLength {
                offset,
                block_type,
                length,
                reason,
            } => write!(
                f,
                "at byte offset {offset}: bad length {length} for block type 0x{block_type:x}: {reason}"
            ),
            ScapError::BadBlock {
                offset,
                block_type,
                reason,
            } => write!(
                f,
                "at byte offset {offset}: malformed block type 0x{block_type:x}: {reason}"
            ),
            ScapError::BadEvent { offset, source } => {
                write!(f, "at byte offset {offset}: malformed event: {source}")
            }
            ScapError::BadV1Event { offset, evtype, len } => write!(
                f,
                "at byte offset {offset}: malformed v1 event type {evtype}: parameter lengths do not add up to {len}"
            ),
            ScapError::Unencodable { reason } => write!(f, "cannot encode: {reason}"),
        }
    }
}

impl std::error::Error for ScapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScapError::Io { source, .. } | ScapError::Gzip { source, .. } => Some(source),
            _ => None,
        }
    }
}
