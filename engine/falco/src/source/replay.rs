//! The replay source: a capture file read (and decompressed, and converted to the current
//! event schema) on its own thread.

use super::batch::EventBatch;
use crossbeam_channel::{bounded, Receiver, Sender};
use falco_scap::meta::CaptureMetadata;
use falco_scap::{CaptureReader, ScapError};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

pub use super::SourceMsg;

/// A running replay.
pub struct Replay {
    /// The capture's metadata (process list, fds, users, machine info).
    pub metadata: CaptureMetadata,
    /// Batches, errors and the end marker.
    pub events: Receiver<SourceMsg>,
    /// Return emptied batches here to reuse their memory.
    pub recycle: Sender<EventBatch>,
    thread: Option<JoinHandle<()>>,
    /// The capture file.
    pub path: PathBuf,
}

/// Batches in flight between the reader and the engine.
const QUEUE_DEPTH: usize = 8;

impl Replay {
    /// Opens `path` and starts reading it on a new thread.
    ///
    /// # Errors
    /// The file cannot be opened or its header blocks are invalid.
    pub fn start(path: &Path) -> Result<Replay, ScapError> {
        let mut reader = CaptureReader::open(path)?;
        reader.set_convert(true);
        // Moved out, not copied: the reader thread keeps no second list of the threads.
        let metadata = reader.take_metadata();
        let (tx, rx) = bounded(QUEUE_DEPTH);
        let (recycle_tx, recycle_rx) = bounded::<EventBatch>(QUEUE_DEPTH + 2);
        let thread = std::thread::Builder::new()
            .name("replay-reader".into())
            .spawn(move || read_loop(reader, tx, recycle_rx))
            .map_err(|e| ScapError::Io {
                offset: 0,
                source: e,
            })?;
        Ok(Replay {
            metadata,
            events: rx,
            recycle: recycle_tx,
            thread: Some(thread),
            path: path.to_path_buf(),
        })
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        // Closing our receiver ends the reader at its next send.
        let (_, dead) = bounded(0);
        self.events = dead;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_loop(mut reader: CaptureReader, tx: Sender<SourceMsg>, recycle: Receiver<EventBatch>) {
    let mut batch = EventBatch::with_capacity();
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => {
                batch.push(&ev.record, ev.cpu, ev.flags);
                if batch.is_full() && !super::hand_over(&mut batch, &tx, &recycle) {
                    return;
                }
            }
            Ok(None) => {
                if !batch.is_empty() && tx.send(SourceMsg::Batch(batch)).is_err() {
                    return;
                }
                let _ = tx.send(SourceMsg::Stopped);
                return;
            }
            Err(e) => {
                if !batch.is_empty() && tx.send(SourceMsg::Batch(batch)).is_err() {
                    return;
                }
                let _ = tx.send(SourceMsg::Fatal(format!("{e}")));
                return;
            }
        }
    }
}
