use std::{fmt, io, path::PathBuf};

/// Why the rings could not be opened or read.
#[derive(Debug)]
pub enum Error {
    /// No `/dev/falcoN` device exists (module not loaded?).
    NoDevices(PathBuf),
    /// A system call on a device failed.
    Io {
        /// What was being done, e.g. "open /dev/falco0".
        what: String,
        /// The OS error.
        source: io::Error,
    },
    /// The module speaks another ABI version.
    AbiMismatch {
        /// Version reported by the module.
        module: u32,
        /// Version this reader was built for.
        reader: u32,
    },
    /// The control page holds an impossible value.
    BadControl {
        /// The device.
        device: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A driver other than the module refused a request.
    Driver(String),
    /// A record in a ring does not decode; the ring was resynchronised past it.
    Corrupt {
        /// The CPU of the ring.
        cpu: u32,
        /// Position of the bad record.
        pos: u64,
        /// The decoder's complaint.
        detail: ringbuf_abi::DecodeError,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoDevices(d) => write!(
                f,
                "no falco ring devices in {} (is the falco module loaded?)",
                d.display()
            ),
            Error::Io { what, source } => write!(f, "{what}: {source}"),
            Error::AbiMismatch { module, reader } => {
                write!(
                    f,
                    "falco module ABI version {module}, this reader needs {reader}"
                )
            }
            Error::BadControl { device, detail } => {
                write!(f, "{}: bad control page: {detail}", device.display())
            }
            Error::Driver(what) => f.write_str(what),
            Error::Corrupt { cpu, pos, detail } => {
                write!(f, "ring of cpu {cpu}: bad record at {pos}: {detail}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Error {
    Error::Io {
        what: what.into(),
        source,
    }
}
