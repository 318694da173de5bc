//! The pid file of a live run: created without following a link at its path, locked (`flock`)
//! for the whole run so that a second instance is refused instead of taking it over, and
//! removed at exit only while the path still names our file with our pid in it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why the pid file could not be taken.
#[derive(Debug)]
pub enum PidFileError {
    /// Another live process holds the lock: an instance is running; its pid as the file says.
    Held {
        /// The pid file.
        path: PathBuf,
        /// What the file holds (the other instance's pid), trimmed.
        pid: String,
    },
    /// The path is a symbolic link or not a regular file, which a pid file never is.
    NotRegular(PathBuf),
    /// The file cannot be opened or written.
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for PidFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PidFileError::Held { path, pid } => write!(
                f,
                "pid file {} is locked by another running instance (pid {}); stop it first or \
                 pass another --pidfile",
                path.display(),
                if pid.is_empty() { "unknown" } else { pid }
            ),
            PidFileError::NotRegular(path) => write!(
                f,
                "pid file {} is a symbolic link or not a regular file; refusing to write \
                 through it",
                path.display()
            ),
            PidFileError::Io(path, e) => write!(f, "cannot write pid file {}: {e}", path.display()),
        }
    }
}

impl std::error::Error for PidFileError {}

/// Our pid in `path`, locked while the guard lives; removed when the guard drops if the path
/// still names our file and it still holds our pid.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    /// Holds the lock; closing it releases the lock.
    file: File,
    pid: u32,
}

impl PidFile {
    /// Takes the pid file at `path`: opens or creates it without following a link, locks it,
    /// then writes our pid over what it held.
    ///
    /// # Errors
    /// [`PidFileError::Held`] when another process holds its lock, [`PidFileError::NotRegular`]
    /// for a link, a directory, a FIFO or a device, [`PidFileError::Io`] otherwise.
    pub fn create(path: &Path) -> Result<PidFile, PidFileError> {
        let io_err = |e| PidFileError::Io(path.to_path_buf(), e);
        // An instance exiting may remove the file between our open and our lock: the file we
        // locked is then no longer at the path, and we open again.
        for _ in 0..8 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .mode(0o644)
                // No O_TRUNC: the file is emptied only once the lock is ours. O_NONBLOCK so a
                // FIFO at the path cannot block the open.
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open(path)
                .map_err(|e| match e.raw_os_error() {
                    Some(libc::ELOOP) => PidFileError::NotRegular(path.to_path_buf()),
                    _ => io_err(e),
                })?;
            let meta = file.metadata().map_err(io_err)?;
            if !meta.file_type().is_file() {
                return Err(PidFileError::NotRegular(path.to_path_buf()));
            }
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut pid = String::new();
                    let _ = file.take(64).read_to_string(&mut pid);
                    return Err(PidFileError::Held {
                        path: path.to_path_buf(),
                        pid: pid.trim().to_string(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
            }
            if !names(path, &file) {
                continue;
            }
            let pid = std::process::id();
            file.set_len(0).map_err(io_err)?;
            file.rewind().map_err(io_err)?;
            file.write_all(format!("{pid}\n").as_bytes())
                .map_err(io_err)?;
            return Ok(PidFile {
                path: path.to_path_buf(),
                file,
                pid,
            });
        }
        Err(io_err(io::Error::other(
            "the file kept being replaced while it was being locked",
        )))
    }
}

/// Whether `path` (not followed if a link) is the file `file` has open.
fn names(path: &Path, file: &File) -> bool {
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(at_path), Ok(ours)) => at_path.dev() == ours.dev() && at_path.ino() == ours.ino(),
        _ => false,
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Still under our lock, so no other instance can have taken the file meanwhile.
        let mut content = String::new();
        let ours = names(&self.path, &self.file)
            && self.file.rewind().is_ok()
            && (&self.file).take(64).read_to_string(&mut content).is_ok()
            && content.trim() == self.pid.to_string();
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
