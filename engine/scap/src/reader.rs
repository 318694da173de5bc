//! The streaming capture reader.
//!
//! One growable buffer holds the bytes of the current block; it is refilled in large reads and
//! compacted, so memory stays constant whatever the file size (it grows only to the largest
//! block seen, capped by [`block::MAX_BLOCK_LEN`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use ringbuf_abi::record::{param_len_size, HEADER_LEN, HEADER_V1_LEN};
use ringbuf_abi::{Record, EVENT_COUNT, EVENT_TABLE};

use crate::block::{self, EventBlockKind};
use crate::convert::{Conversion, Converter};
use crate::error::ScapError;
use crate::meta::{self, CaptureMetadata, Cursor, FdList};

/// Initial buffer size; most blocks are far smaller, reads are done in chunks of this size.
const INITIAL_BUF: usize = 256 * 1024;

/// One event as stored in the capture.
#[derive(Clone, Copy, Debug)]
pub struct CapturedEvent<'a> {
    /// CPU that produced the event.
    pub cpu: u16,
    /// Dump flags (`SCAP_DF_*`), 0 for blocks without flags.
    pub flags: u32,
    /// The record, always in the V2 layout (V1 records are upgraded).
    pub record: Record<'a>,
    /// Offset of the event's block in the decompressed stream.
    pub offset: u64,
    /// The block type the event was stored in.
    pub block_type: u32,
}

/// Where `locate_event` found a record: in `buf[rec_start..rec_end]`, or (`v1`) upgraded
/// into `v1buf`.
struct EventSlot {
    cpu: u16,
    flags: u32,
    v1: bool,
    rec_start: usize,
    rec_end: usize,
}

/// Dump flag: the event is for state updates only.
pub const DF_STATE_ONLY: u32 = 1;

/// Counters of what the reader passed over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Event blocks read.
    pub event_blocks: u64,
    /// Events skipped because their type is past the event table (libs skips them too).
    pub unknown_type_events: u64,
    /// Non-event blocks met after the first event (parsed into the metadata, or skipped).
    pub late_metadata_blocks: u64,
    /// Events dropped by the converter (old enter events folded into their exit).
    pub converter_dropped: u64,
}

/// What the converter made of an event found by the fast path.
enum Fast {
    /// Dropped (folded into its exit).
    Dropped,
    /// Delivered as stored, from `buf[rec_start..rec_end]`.
    Stored {
        cpu: u16,
        off: u64,
        rec_start: usize,
        rec_end: usize,
    },
    /// Delivered as the converter's output; `offset` is the stored record's.
    Rewritten { cpu: u16, off: u64, offset: u64 },
}

/// A streaming `.scap` reader over plain or gzip-compressed input.
pub struct CaptureReader {
    src: Box<dyn Read + Send>,
    gzip: bool,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    buf_offset: u64,
    eof: bool,
    meta: CaptureMetadata,
    /// Index in `meta.threads` of each thread id, and in `meta.fd_lists` of each fd list's:
    /// a thread listed again (in a later block) replaces its entry, so the metadata grows with
    /// the threads, not with the blocks that list them.
    thread_at: HashMap<u64, usize>,
    fd_list_at: HashMap<u64, usize>,
    v1buf: Vec<u8>,
    converter: Option<Converter>,
    stats: ReaderStats,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("gzip", &self.gzip)
            .field("offset", &self.offset())
            .field("stats", &self.stats)
            .finish()
    }
}

impl CaptureReader {
    /// Opens a capture file (plain or gzip, detected by its first bytes) and reads its
    /// metadata blocks.
    ///
    /// # Errors
    /// [`ScapError::Io`] when the file cannot be opened; any format error of the header or
    /// metadata blocks.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ScapError> {
        let f = File::open(path.as_ref()).map_err(|source| ScapError::Io { offset: 0, source })?;
        Self::from_reader(BufReader::with_capacity(64 * 1024, f))
    }

    /// Reads a capture from any byte source (plain or gzip, detected by its first bytes).
    ///
    /// # Errors
    /// As [`CaptureReader::open`].
    pub fn from_reader<R: Read + Send + 'static>(mut r: R) -> Result<Self, ScapError> {
        // Peek two bytes for the gzip magic, then chain them back in front.
        let mut head = [0u8; 2];
        let mut got = 0;
        while got < 2 {
            match r.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => return Err(ScapError::Io { offset: 0, source }),
            }
        }
        let chained = io::Cursor::new(head[..got].to_vec()).chain(r);
        let gzip = got == 2 && head == [0x1f, 0x8b];
        let src: Box<dyn Read + Send> = if gzip {
            Box::new(MultiGzDecoder::new(chained))
        } else {
            Box::new(chained)
        };
        let mut reader = CaptureReader {
            src,
            gzip,
            buf: vec![0; INITIAL_BUF],
            start: 0,
            end: 0,
            buf_offset: 0,
            eof: false,
            meta: CaptureMetadata::default(),
            thread_at: HashMap::new(),
            fd_list_at: HashMap::new(),
            v1buf: Vec::new(),
            converter: None,
            stats: ReaderStats::default(),
        };
        reader.read_header()?;
        Ok(reader)
    }

    /// The capture's metadata: machine info, threads, fds, interfaces, users and groups.
    pub fn metadata(&self) -> &CaptureMetadata {
        &self.meta
    }

    /// The metadata, handed over: the thread and fd lists are moved out (the reader keeps
    /// empty ones, and adds to them what later metadata blocks hold), the rest is copied. For a
    /// consumer that builds its own state from them and keeps reading events.
    pub fn take_metadata(&mut self) -> CaptureMetadata {
        self.thread_at = HashMap::new();
        self.fd_list_at = HashMap::new();
        CaptureMetadata {
            threads: std::mem::take(&mut self.meta.threads),
            fd_lists: std::mem::take(&mut self.meta.fd_lists),
            ..self.meta.clone()
        }
    }

    /// True when the input was gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Offset in the decompressed stream of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.buf_offset + self.start as u64
    }

    /// Counters of skipped and converted events.
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// Turns the old-layout converter on or off (off by default). With it on,
    /// [`CaptureReader::next_event`] yields the stream in the current schema: see
    /// [`crate::convert`].
    pub fn set_convert(&mut self, on: bool) {
        self.converter = if on { Some(Converter::new()) } else { None };
    }

    /// Reads the next event.
    ///
    /// # Errors
    /// Any format error, naming its byte offset. After an error the reader should not be
    /// used further.
    pub fn next_event(&mut self) -> Result<Option<CapturedEvent<'_>>, ScapError> {
        if self.converter.is_none() {
            if let Some((cpu, rec_start, rec_end, off)) = self.fast_v2_event() {
                let offset = self.buf_offset + rec_start as u64;
                let record = Record::parse(&self.buf[rec_start..rec_end])
                    .map_err(|source| ScapError::BadEvent { offset, source })?;
                return Ok(Some(CapturedEvent {
                    cpu,
                    flags: 0,
                    record,
                    offset: off,
                    block_type: block::EV_V2,
                }));
            }
        } else {
            // The same fast path through the converter; the decision is made on a record
            // that does not outlive it, and the delivered one is parsed where it is returned.
            while let Some(fast) = self.fast_converted()? {
                let (cpu, off, bytes, offset) = match fast {
                    Fast::Dropped => continue,
                    Fast::Stored {
                        cpu,
                        off,
                        rec_start,
                        rec_end,
                    } => (
                        cpu,
                        off,
                        &self.buf[rec_start..rec_end],
                        self.buf_offset + rec_start as u64,
                    ),
                    Fast::Rewritten { cpu, off, offset } => (
                        cpu,
                        off,
                        self.converter.as_ref().map_or(&[][..], |c| c.output()),
                        offset,
                    ),
                };
                let record = Record::parse(bytes)
                    .map_err(|source| ScapError::BadEvent { offset, source })?;
                return Ok(Some(CapturedEvent {
                    cpu,
                    flags: 0,
                    record,
                    offset: off,
                    block_type: block::EV_V2,
                }));
            }
        }
        loop {
            let Some((bt, len, off)) = self.next_block()? else {
                return Ok(None);
            };
            let Some(kind) = block::event_block_kind(bt) else {
                self.stats.late_metadata_blocks += 1;
                self.handle_meta_block(bt, len, off)?;
                continue;
            };
            self.stats.event_blocks += 1;
            let Some(EventSlot {
                cpu,
                flags,
                v1,
                rec_start,
                rec_end,
            }) = self.locate_event(kind, bt, len, off)?
            else {
                continue;
            };
            let offset = self.buf_offset + (rec_start as u64);
            if self.converter.is_some() {
                // Decide first, with a borrow that does not escape the loop iteration.
                let bytes = if v1 {
                    &self.v1buf[..]
                } else {
                    &self.buf[rec_start..rec_end]
                };
                let record = Record::parse(bytes)
                    .map_err(|source| ScapError::BadEvent { offset, source })?;
                let decision = match self.converter.as_mut() {
                    Some(conv) => conv.process(&record),
                    None => Conversion::Pass,
                };
                match decision {
                    Conversion::Drop => {
                        self.stats.converter_dropped += 1;
                        continue;
                    }
                    Conversion::Rewritten => {
                        let out = self.converter.as_ref().map_or(&[][..], |c| c.output());
                        let record = Record::parse(out)
                            .map_err(|source| ScapError::BadEvent { offset, source })?;
                        return Ok(Some(CapturedEvent {
                            cpu,
                            flags,
                            record,
                            offset: off,
                            block_type: bt,
                        }));
                    }
                    Conversion::Pass => {}
                }
            }
            let bytes = if v1 {
                &self.v1buf[..]
            } else {
                &self.buf[rec_start..rec_end]
            };
            let record =
                Record::parse(bytes).map_err(|source| ScapError::BadEvent { offset, source })?;
            return Ok(Some(CapturedEvent {
                cpu,
                flags,
                record,
                offset: off,
                block_type: bt,
            }));
        }
    }

    /// [`CaptureReader::fast_v2_event`] followed by the converter's decision. `None`
    /// (consuming nothing) sends the caller down the general path.
    #[inline]
    fn fast_converted(&mut self) -> Result<Option<Fast>, ScapError> {
        let Some((cpu, rec_start, rec_end, off)) = self.fast_v2_event() else {
            return Ok(None);
        };
        let offset = self.buf_offset + rec_start as u64;
        let record = Record::parse(&self.buf[rec_start..rec_end])
            .map_err(|source| ScapError::BadEvent { offset, source })?;
        let decision = match self.converter.as_mut() {
            Some(conv) => conv.process(&record),
            None => Conversion::Pass,
        };
        Ok(Some(match decision {
            Conversion::Drop => {
                self.stats.converter_dropped += 1;
                Fast::Dropped
            }
            Conversion::Rewritten => Fast::Rewritten { cpu, off, offset },
            Conversion::Pass => Fast::Stored {
                cpu,
                off,
                rec_start,
                rec_end,
            },
        }))
    }

    /// The common case, inline: a well-formed `EV_V2` block of a known event type, wholly in
    /// the buffer. Consumes it and returns the cpu, the record's range and the block offset;
    /// `None` (consuming nothing) sends the caller down the general path, which also produces
    /// the precise errors.
    #[inline]
    fn fast_v2_event(&mut self) -> Option<(u16, usize, usize, u64)> {
        let b = self.buf.get(self.start..self.end)?;
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
        };
        if word(0)? != block::EV_V2 {
            return None;
        }
        let len = word(4)? as usize;
        let min = block::BLOCK_HEADER_LEN + 2 + HEADER_LEN + block::BLOCK_TRAILER_LEN;
        if len < min || len > b.len() || word(len - 4)? as usize != len {
            return None;
        }
        let rec = block::BLOCK_HEADER_LEN + 2;
        let evtype = u16::from_le_bytes(b.get(rec + 20..rec + 22)?.try_into().ok()?);
        if evtype as usize >= EVENT_COUNT {
            return None;
        }
        let cpu = u16::from_le_bytes(b.get(8..10)?.try_into().ok()?);
        let off = self.offset();
        let blk = self.start;
        self.start += len;
        self.stats.event_blocks += 1;
        Some((cpu, blk + rec, blk + len - block::BLOCK_TRAILER_LEN, off))
    }

    /// Finds the record inside the event block at `self.start - len`. Returns the cpu, flags,
    /// whether the record was upgraded into `v1buf`, and the record's range in `buf`; `None`
    /// for an event of unknown type (skipped).
    fn locate_event(
        &mut self,
        kind: EventBlockKind,
        bt: u32,
        len: u32,
        off: u64,
    ) -> Result<Option<EventSlot>, ScapError> {
        let blk = self.start - len as usize;
        let body_start = blk + block::BLOCK_HEADER_LEN;
        let body_end = blk + len as usize - block::BLOCK_TRAILER_LEN;
        let prefix = if kind.has_flags { 6 } else { 2 };
        if body_end - body_start < prefix {
            return Err(ScapError::BadBlockLength {
                offset: off,
                block_type: bt,
                length: len,
                reason: "event block too short for its cpu id",
            });
        }
        let b = &self.buf[body_start..body_end];
        let cpu = u16::from_le_bytes([b[0], b[1]]);
        let flags = if kind.has_flags {
            u32::from_le_bytes([b[2], b[3], b[4], b[5]])
        } else {
            0
        };
        let rec = &b[prefix..];
        let rec_start = body_start + prefix;
        let rec_off = off + (block::BLOCK_HEADER_LEN + prefix) as u64;
        // The event size comes from the event header; the block may carry more bytes
        // (pcapng options appended by editors) which are ignored.
        let min_header = if kind.v1 { HEADER_V1_LEN } else { HEADER_LEN };
        if rec.len() < min_header {
            return Err(ScapError::BadEvent {
                offset: rec_off,
                source: ringbuf_abi::DecodeError::TruncatedHeader {
                    available: rec.len(),
                },
            });
        }
        let evtype = u16::from_le_bytes([rec[20], rec[21]]);
        if evtype as usize >= EVENT_COUNT {
            self.stats.unknown_type_events += 1;
            return Ok(None);
        }
        if !kind.v1 {
            return Ok(Some(EventSlot {
                cpu,
                flags,
                v1: false,
                rec_start,
                rec_end: body_end,
            }));
        }
        upgrade_v1(rec, evtype, rec_off, &mut self.v1buf)?;
        Ok(Some(EventSlot {
            cpu,
            flags,
            v1: true,
            rec_start,
            rec_end: body_end,
        }))
    }

    fn read_header(&mut self) -> Result<(), ScapError> {
        let avail = self.fill(block::BLOCK_HEADER_LEN + block::SHB_BODY_LEN)?;
        if avail < 4 {
            return Err(ScapError::Truncated {
                offset: 0,
                needed: 4,
                available: avail as u64,
            });
        }
        let bt = self.peek_u32(0);
        if bt != block::SHB {
            return Err(ScapError::BadMagic {
                offset: 0,
                found: bt,
            });
        }
        let Some((bt, len, off)) = self.next_block()? else {
            return Err(ScapError::Truncated {
                offset: 0,
                needed: 28,
                available: 0,
            });
        };
        self.handle_meta_block(bt, len, off)?;
        // Metadata until the first event block, which stays in the buffer.
        loop {
            let avail = self.fill(block::BLOCK_HEADER_LEN)?;
            if avail < block::BLOCK_HEADER_LEN {
                break;
            }
            if block::event_block_kind(self.peek_u32(0)).is_some() {
                break;
            }
            let Some((bt, len, off)) = self.next_block()? else {
                break;
            };
            self.handle_meta_block(bt, len, off)?;
        }
        Ok(())
    }

    /// Parses a non-event block that `next_block` just consumed.
    fn handle_meta_block(&mut self, bt: u32, len: u32, off: u64) -> Result<(), ScapError> {
        let blk = self.start - len as usize;
        let body = &self.buf[blk + block::BLOCK_HEADER_LEN..blk + len as usize - 4];
        let base = off + block::BLOCK_HEADER_LEN as u64;
        let mut c = Cursor::new(body, base, bt);
        match bt {
            block::SHB => {
                if body.len() < block::SHB_BODY_LEN {
                    return Err(ScapError::BadBlockLength {
                        offset: off,
                        block_type: bt,
                        length: len,
                        reason: "section header shorter than 28 bytes",
                    });
                }
                let magic = c.u32("magic")?;
                if magic != block::SHB_MAGIC {
                    return Err(ScapError::BadMagic {
                        offset: base,
                        found: magic,
                    });
                }
                let major = c.u16("major")?;
                let minor = c.u16("minor")?;
                if major > 1 {
                    return Err(ScapError::UnsupportedVersion {
                        offset: off,
                        major,
                        minor,
                    });
                }
                self.meta.major_version = major;
                self.meta.minor_version = minor;
                // The section length and any pcapng options are ignored.
            }
            block::MI | block::MI_LEGACY => {
                self.meta.machine = Some(meta::parse_machine_info(&mut c)?);
            }
            block::FDL | block::FDL_LEGACY | block::FDL_V2 => {
                let l: FdList = meta::parse_fdlist(&mut c, bt == block::FDL_V2)?;
                match self.fd_list_at.get(&l.tid) {
                    Some(&i) => merge_fds(&mut self.meta.fd_lists[i], l),
                    None => {
                        self.fd_list_at.insert(l.tid, self.meta.fd_lists.len());
                        self.meta.fd_lists.push(l);
                    }
                }
            }
            block::IL | block::IL_LEGACY | block::IL_V2 => {
                meta::parse_iflist(&mut c, bt == block::IL_V2, &mut self.meta.interfaces)?;
            }
            block::UL | block::UL_LEGACY | block::UL_V2 => {
                meta::parse_userlist(
                    &mut c,
                    bt == block::UL_V2,
                    &mut self.meta.users,
                    &mut self.meta.groups,
                )?;
            }
            other => match meta::proclist_version(other) {
                Some(v) => {
                    let mut block_threads = Vec::new();
                    meta::parse_proclist(&mut c, v, &mut block_threads)?;
                    for t in block_threads {
                        match self.thread_at.get(&t.tid) {
                            Some(&i) => self.meta.threads[i] = t,
                            None => {
                                self.thread_at.insert(t.tid, self.meta.threads.len());
                                self.meta.threads.push(t);
                            }
                        }
                    }
                }
                None => self.meta.skipped_blocks += 1,
            },
        }
        Ok(())
    }

    /// Reads the next whole block into the buffer and consumes it. Returns its type, total
    /// length and stream offset; `None` at a clean end of stream.
    fn next_block(&mut self) -> Result<Option<(u32, u32, u64)>, ScapError> {
        let off = self.offset();
        let avail = self.fill(block::BLOCK_HEADER_LEN)?;
        if avail == 0 {
            return Ok(None);
        }
        if avail < block::BLOCK_HEADER_LEN {
            return Err(ScapError::Truncated {
                offset: off,
                needed: block::BLOCK_HEADER_LEN as u64,
                available: avail as u64,
            });
        }
        let bt = self.peek_u32(0);
        let len = self.peek_u32(4);
        let bad = |reason| ScapError::BadBlockLength {
            offset: off,
            block_type: bt,
            length: len,
            reason,
        };
        if (len as usize) < block::BLOCK_HEADER_LEN + block::BLOCK_TRAILER_LEN {
            return Err(bad("shorter than a block header and trailer"));
        }
        if len > block::MAX_BLOCK_LEN {
            return Err(bad("larger than the reader's limit"));
        }
        let avail = self.fill(len as usize)?;
        if avail < len as usize {
            return Err(ScapError::Truncated {
                offset: off,
                needed: len as u64,
                available: avail as u64,
            });
        }
        let trailer = self.peek_u32(len as usize - 4);
        if trailer != len {
            return Err(bad("trailer does not repeat the block length"));
        }
        self.start += len as usize;
        Ok(Some((bt, len, off)))
    }

    #[inline]
    fn peek_u32(&self, at: usize) -> u32 {
        let p = self.start + at;
        u32::from_le_bytes([
            self.buf[p],
            self.buf[p + 1],
            self.buf[p + 2],
            self.buf[p + 3],
        ])
    }

    /// Makes at least `need` bytes available from `start` unless the stream ends first;
    /// returns how many are available.
    #[inline]
    fn fill(&mut self, need: usize) -> Result<usize, ScapError> {
        if self.end - self.start >= need || self.eof {
            return Ok(self.end - self.start);
        }
        self.fill_slow(need)
    }

    #[cold]
    fn fill_slow(&mut self, need: usize) -> Result<usize, ScapError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.buf_offset += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        while self.end < need {
            if self.end == self.buf.len() {
                // Grow by doubling as data actually arrives, so a corrupt length in a short
                // file cannot make the reader allocate what the length claims.
                let grown = (self.buf.len() * 2).clamp(INITIAL_BUF, need.max(INITIAL_BUF));
                self.buf.resize(grown, 0);
            }
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    let offset = self.buf_offset + self.end as u64;
                    return Err(if self.gzip {
                        ScapError::Gzip { offset, source }
                    } else {
                        ScapError::Io { offset, source }
                    });
                }
            }
        }
        Ok(self.end - self.start)
    }
}

/// Rewrites a V1 record (22-byte header, no `nparams`) as a V2 record in `out`, inferring
/// the parameter count the way libs does: the largest count, from the table's down to 0,
/// whose lengths add up exactly to the record length.
fn upgrade_v1(rec: &[u8], evtype: u16, offset: u64, out: &mut Vec<u8>) -> Result<(), ScapError> {
    let mut len = u32::from_le_bytes([rec[16], rec[17], rec[18], rec[19]]);
    let bad = |len| ScapError::BadV1Event {
        offset,
        evtype,
        len,
    };
    if (len as usize) < HEADER_V1_LEN || len as usize > rec.len() {
        return Err(bad(len));
    }
    let lsize = param_len_size(evtype);
    let table_n = EVENT_TABLE
        .get(evtype as usize)
        .map_or(0, |i| i.params.len());
    let infer = |len: u32| -> Option<usize> {
        let len = len as usize;
        (0..=table_n).rev().find(|&n| {
            let values = HEADER_V1_LEN + n * lsize;
            if values > len {
                return false;
            }
            let mut total = values;
            for i in 0..n {
                let at = HEADER_V1_LEN + i * lsize;
                total += if lsize == 2 {
                    u16::from_le_bytes([rec[at], rec[at + 1]]) as usize
                } else {
                    u32::from_le_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]]) as usize
                };
            }
            total == len
        })
    };
    let n = match infer(len) {
        Some(n) => n,
        // Old notification and infrastructure events were written 3 bytes too long.
        None if (evtype == 280 || evtype == 286) && len >= HEADER_V1_LEN as u32 + 3 => {
            len -= 3;
            infer(len).ok_or_else(|| bad(len + 3))?
        }
        None => return Err(bad(len)),
    };
    out.clear();
    out.extend_from_slice(&rec[..16]);
    out.extend_from_slice(&(len + 4).to_le_bytes());
    out.extend_from_slice(&rec[20..22]);
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(&rec[HEADER_V1_LEN..len as usize]);
    Ok(())
}

/// Adds the fds of `more` (a later list of the same thread) to `list`: an fd listed again
/// replaces its entry, as libsinsp's fd table does.
fn merge_fds(list: &mut FdList, more: FdList) {
    let mut at: HashMap<i64, usize> = list
        .fds
        .iter()
        .enumerate()
        .map(|(i, e)| (e.fd, i))
        .collect();
    for e in more.fds {
        match at.get(&e.fd) {
            Some(&i) => list.fds[i] = e,
            None => {
                at.insert(e.fd, list.fds.len());
                list.fds.push(e);
            }
        }
    }
}
