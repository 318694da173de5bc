//! The capture writer: SHB 1.2, MI, IL_V2, UL_V2, PL_V9, FDL_V2, then EV_V2 / EVF_V2 (and
//! their `_LARGE` variants) blocks, optionally gzip-compressed, as current libs writes them.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;
use ringbuf_abi::Record;

use crate::block;
use crate::error::ScapError;
use crate::meta::{self, CaptureMetadata};

/// A file being written, plain or gzip-compressed.
#[expect(clippy::large_enum_variant, reason = "one value per open capture file")]
pub enum FileSink {
    /// Uncompressed.
    Plain(BufWriter<File>),
    /// Gzip-compressed.
    Gzip(GzEncoder<BufWriter<File>>),
}

impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileSink::Plain(_) => "FileSink::Plain",
            FileSink::Gzip(_) => "FileSink::Gzip",
        })
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            FileSink::Plain(w) => w.write(buf),
            FileSink::Gzip(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            FileSink::Plain(w) => w.flush(),
            FileSink::Gzip(w) => w.flush(),
        }
    }
}

impl FileSink {
    /// Writes the gzip trailer (if any) and flushes the file.
    ///
    /// # Errors
    /// The file system's write errors.
    pub fn finish(self) -> io::Result<()> {
        match self {
            FileSink::Plain(mut w) => w.flush(),
            FileSink::Gzip(w) => w.finish()?.flush(),
        }
    }
}

/// Writes a `.scap` capture.
#[derive(Debug)]
pub struct CaptureWriter<W: Write> {
    out: W,
    block: Vec<u8>,
    events: u64,
    written: u64,
}

impl CaptureWriter<FileSink> {
    /// Creates `path` and writes the section header and `meta`'s blocks.
    ///
    /// # Errors
    /// [`ScapError::Io`] when the file cannot be created or written.
    pub fn create(
        path: impl AsRef<Path>,
        gzip: bool,
        meta: &CaptureMetadata,
    ) -> Result<Self, ScapError> {
        let f =
            File::create(path.as_ref()).map_err(|source| ScapError::Io { offset: 0, source })?;
        let w = BufWriter::with_capacity(256 * 1024, f);
        let sink = if gzip {
            FileSink::Gzip(GzEncoder::new(w, Compression::default()))
        } else {
            FileSink::Plain(w)
        };
        Self::new(sink, meta)
    }

    /// Finishes the file (gzip trailer, flush).
    ///
    /// # Errors
    /// [`ScapError::Io`] on a write error.
    pub fn close(self) -> Result<(), ScapError> {
        let offset = self.written;
        self.finish()?
            .finish()
            .map_err(|source| ScapError::Io { offset, source })
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Starts a capture on `out`: writes the section header and `meta`'s machine info,
    /// interfaces, users and groups, threads and fd lists.
    ///
    /// # Errors
    /// [`ScapError::Io`] on a write error.
    pub fn new(out: W, meta: &CaptureMetadata) -> Result<Self, ScapError> {
        let mut w = CaptureWriter {
            out,
            block: Vec::with_capacity(64 * 1024),
            events: 0,
            written: 0,
        };
        w.begin(block::SHB);
        w.block.extend_from_slice(&block::SHB_MAGIC.to_le_bytes());
        w.block.extend_from_slice(&1u16.to_le_bytes());
        w.block.extend_from_slice(&2u16.to_le_bytes());
        w.block.extend_from_slice(&u64::MAX.to_le_bytes());
        w.end()?;
        if let Some(m) = &meta.machine {
            w.begin(block::MI);
            meta::encode_machine_info(m, &mut w.block);
            w.end()?;
        }
        if !meta.interfaces.is_empty() {
            w.begin(block::IL_V2);
            for i in &meta.interfaces {
                meta::encode_interface_v2(i, &mut w.block);
            }
            w.end()?;
        }
        if !meta.users.is_empty() || !meta.groups.is_empty() {
            w.begin(block::UL_V2);
            for u in &meta.users {
                meta::encode_user_v2(u, &mut w.block);
            }
            for g in &meta.groups {
                meta::encode_group_v2(g, &mut w.block);
            }
            w.end()?;
        }
        if !meta.threads.is_empty() {
            w.begin(block::PL_V9);
            for t in &meta.threads {
                meta::encode_thread_v9(t, &mut w.block);
            }
            w.end()?;
        }
        for l in &meta.fd_lists {
            w.begin(block::FDL_V2);
            meta::encode_fdlist_v2(l, &mut w.block);
            w.end()?;
        }
        Ok(w)
    }

    /// Appends one event. `flags` are the dump flags (`SCAP_DF_*`); a non-zero value selects
    /// an `EVF` block. Large-payload events go into the `_LARGE` block variants.
    ///
    /// # Errors
    /// [`ScapError::Io`] on a write error.
    pub fn write_event(&mut self, cpu: u16, flags: u32, rec: &Record<'_>) -> Result<(), ScapError> {
        let large = ringbuf_abi::event_info(rec.evtype()).is_some_and(|i| i.is_large_payload());
        let bt = match (flags != 0, large) {
            (false, false) => block::EV_V2,
            (true, false) => block::EVF_V2,
            (false, true) => block::EV_V2_LARGE,
            (true, true) => block::EVF_V2_LARGE,
        };
        self.begin(bt);
        self.block.extend_from_slice(&cpu.to_le_bytes());
        if flags != 0 {
            self.block.extend_from_slice(&flags.to_le_bytes());
        }
        self.block.extend_from_slice(rec.as_bytes());
        self.end()?;
        self.events += 1;
        Ok(())
    }

    /// Events written so far.
    pub fn events_written(&self) -> u64 {
        self.events
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    /// [`ScapError::Io`] on a write error.
    pub fn finish(mut self) -> Result<W, ScapError> {
        let offset = self.written;
        self.out
            .flush()
            .map_err(|source| ScapError::Io { offset, source })?;
        Ok(self.out)
    }

    fn begin(&mut self, block_type: u32) {
        self.block.clear();
        self.block.extend_from_slice(&block_type.to_le_bytes());
        self.block.extend_from_slice(&0u32.to_le_bytes());
    }

    fn end(&mut self) -> Result<(), ScapError> {
        let body = self.block.len() - block::BLOCK_HEADER_LEN;
        let pad = block::padding(body);
        self.block.resize(self.block.len() + pad, 0);
        let total = self.block.len() + block::BLOCK_TRAILER_LEN;
        let Ok(total32) = u32::try_from(total) else {
            return Err(ScapError::Unencodable {
                reason: format!("block of {total} bytes exceeds the 4 GiB block limit"),
            });
        };
        self.block[4..8].copy_from_slice(&total32.to_le_bytes());
        self.block.extend_from_slice(&total32.to_le_bytes());
        let offset = self.written;
        self.out
            .write_all(&self.block)
            .map_err(|source| ScapError::Io { offset, source })?;
        self.written += total as u64;
        Ok(())
    }
}
