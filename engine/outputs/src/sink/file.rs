//! `file_output`: alert lines appended to a file, reopened on request for log rotation.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use super::{LineBatch, Sink};
use crate::alert::Alert;
use crate::error::ConfigError;
use crate::stats::Counters;

/// Appends alert lines to `path`. With `keep_alive` the file stays open until [`Sink::reopen`]
/// or a write error; otherwise it is opened and closed around each write, as Falco does.
pub(crate) struct FileSink {
    path: PathBuf,
    keep_alive: bool,
    file: Option<File>,
    batch: LineBatch,
    counters: Arc<Counters>,
}

impl FileSink {
    /// Opens `path` for appending (creating it) once before the first alert, so a file that
    /// cannot be written (missing or read-only directory, a directory at its path) stops the
    /// start with Falco's message instead of failing every alert later.
    ///
    /// # Errors
    /// The `file_output.filename` error naming the file and the OS reason.
    pub(crate) fn check_writable(path: &Path) -> Result<(), ConfigError> {
        open_append(path).map(drop).map_err(|e| ConfigError {
            key: "file_output.filename",
            message: format!("failed to open output file {}: {e}", path.display()),
        })
    }

    pub(crate) fn new(
        path: PathBuf,
        keep_alive: bool,
        buffered: bool,
        counters: Arc<Counters>,
    ) -> Self {
        FileSink {
            path,
            keep_alive,
            file: None,
            batch: LineBatch::new(buffered),
            counters,
        }
    }

    fn write_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let file = match self.file.take() {
            Some(file) => Ok(file),
            None => open_append(&self.path),
        };
        match file {
            Err(e) => {
                self.counters.failed(
                    self.batch.alerts(),
                    format_args!("opening {}: {e}", self.path.display()),
                );
            }
            Ok(mut file) => match write_whole(&mut file, self.batch.bytes()) {
                Ok(()) => {
                    self.counters.delivered(self.batch.alerts());
                    if self.keep_alive {
                        self.file = Some(file);
                    }
                }
                // The file is dropped: the next write opens it again, so a file that was
                // deleted, or a disk that has room again, recovers without intervention.
                Err(e) => {
                    self.counters.failed(
                        self.batch.alerts(),
                        format_args!("writing {}: {e}", self.path.display()),
                    );
                }
            },
        }
        self.batch.clear();
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Writes all of `bytes`, or on error cuts the file back so no partial line is left for the
/// next write to run into (the file is ours alone to append to).
fn write_whole(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    let mut written = 0;
    while written < bytes.len() {
        match file.write(&bytes[written..]) {
            Ok(0) => return Err(cut_back(file, written, io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cut_back(file, written, e)),
        }
    }
    Ok(())
}

fn cut_back(file: &File, written: usize, error: io::Error) -> io::Error {
    if written > 0 {
        if let Ok(meta) = file.metadata() {
            let _ = file.set_len(meta.len().saturating_sub(written as u64));
        }
    }
    error
}

impl Sink for FileSink {
    fn deliver(&mut self, alert: &Arc<Alert>) {
        self.batch.push(&alert.line);
        if self.batch.is_due() {
            self.write_batch();
        }
    }

    fn idle(&mut self) {
        self.write_batch();
    }

    fn reopen(&mut self) {
        // What was accepted before the reopen belongs to the old file.
        self.write_batch();
        self.file = None;
        self.counters.reopens.fetch_add(1, Relaxed);
    }

    fn close(&mut self, _deadline: Instant) {
        self.write_batch();
        self.file = None;
    }
}
