// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The event record in the scap event format, with an allocation-free encoder and a zero-copy,
//! bounds-checked decoder.
//!
//! ```text
//! offset  0  u64 ts        nanoseconds since the epoch
//! offset  8  u64 tid       thread id
//! offset 16  u32 len       whole record length, header included
//! offset 20  u16 type      event id (index into EVENT_TABLE)
//! offset 22  u32 nparams   number of parameters
//! offset 26  nparams lengths, u16 each (u32 for EF_LARGE_PAYLOAD events)
//!            then the parameter values back to back, unaligned
//! ```
//! All integers are little-endian. A zero length means the parameter is empty.

use crate::event_table::EVENT_TABLE;

/// Size of the current (V2) event header.
pub const HEADER_LEN: usize = 26;
/// Size of the old (V1) event header, which has no `nparams`.
pub const HEADER_V1_LEN: usize = 22;
/// Offset of `ts` in the header.
pub const OFF_TS: usize = 0;
/// Offset of `tid` in the header.
pub const OFF_TID: usize = 8;
/// Offset of `len` in the header.
pub const OFF_LEN: usize = 16;
/// Offset of `type` in the header.
pub const OFF_TYPE: usize = 20;
/// Offset of `nparams` in the header.
pub const OFF_NPARAMS: usize = 22;

/// The header as a packed struct, for code that wants a typed view (e.g. the kernel writer).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventHeader {
    /// Nanoseconds since the epoch.
    pub ts: u64,
    /// Thread id.
    pub tid: u64,
    /// Record length, header included.
    pub len: u32,
    /// Event id.
    pub evtype: u16,
    /// Number of parameters.
    pub nparams: u32,
}

const _: () = assert!(core::mem::size_of::<EventHeader>() == HEADER_LEN);
const _: () = assert!(core::mem::offset_of!(EventHeader, ts) == OFF_TS);
const _: () = assert!(core::mem::offset_of!(EventHeader, tid) == OFF_TID);
const _: () = assert!(core::mem::offset_of!(EventHeader, len) == OFF_LEN);
const _: () = assert!(core::mem::offset_of!(EventHeader, evtype) == OFF_TYPE);
const _: () = assert!(core::mem::offset_of!(EventHeader, nparams) == OFF_NPARAMS);

/// Width of the parameter-length words for an event id: 4 for large-payload events, else 2.
#[inline]
pub fn param_len_size(evtype: u16) -> usize {
    match EVENT_TABLE.get(evtype as usize) {
        Some(info) if info.is_large_payload() => 4,
        _ => 2,
    }
}

/// Why a byte slice is not a valid record. Offsets are relative to the start of the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than a header.
    TruncatedHeader {
        /// Bytes available.
        available: usize,
    },
    /// `len` is smaller than the header or larger than the bytes available.
    BadLength {
        /// The header's `len`.
        len: u32,
        /// Bytes available.
        available: usize,
    },
    /// The parameter-length array does not fit in `len`.
    LengthsOverrun {
        /// The header's `nparams`.
        nparams: u32,
        /// The header's `len`.
        len: u32,
    },
    /// The parameter values overrun `len`.
    ParamsOverrun {
        /// Index of the first parameter that does not fit.
        param: u32,
        /// Offset where that parameter would end.
        end: u64,
        /// The header's `len`.
        len: u32,
    },
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            DecodeError::TruncatedHeader { available } => {
                write!(
                    f,
                    "truncated event header: {available} of {HEADER_LEN} bytes"
                )
            }
            DecodeError::BadLength { len, available } => {
                write!(
                    f,
                    "bad event length {len} ({available} bytes available, header is {HEADER_LEN})"
                )
            }
            DecodeError::LengthsOverrun { nparams, len } => {
                write!(
                    f,
                    "{nparams} parameter lengths do not fit in an event of {len} bytes"
                )
            }
            DecodeError::ParamsOverrun { param, end, len } => {
                write!(
                    f,
                    "parameter {param} ends at byte {end}, past the event length {len}"
                )
            }
        }
    }
}

#[inline]
fn rd_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
#[inline]
fn rd_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
#[inline]
fn rd_u64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// A validated, zero-copy view of one V2 event record.
///
/// Construction checks every length, so accessors never read out of bounds.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    bytes: &'a [u8],
    lsize: usize,
}

impl<'a> Record<'a> {
    /// Validates the record at the start of `buf` (which may hold more bytes after it).
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Record<'a>, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::TruncatedHeader {
                available: buf.len(),
            });
        }
        let len = rd_u32(buf, OFF_LEN);
        if (len as usize) < HEADER_LEN || len as usize > buf.len() {
            return Err(DecodeError::BadLength {
                len,
                available: buf.len(),
            });
        }
        let bytes = &buf[..len as usize];
        let evtype = rd_u16(bytes, OFF_TYPE);
        let nparams = rd_u32(bytes, OFF_NPARAMS);
        let lsize = param_len_size(evtype);
        let values_start = HEADER_LEN as u64 + nparams as u64 * lsize as u64;
        if values_start > len as u64 {
            return Err(DecodeError::LengthsOverrun { nparams, len });
        }
        // The lengths are summed without a test per parameter (a loop the compiler unrolls
        // and vectorizes: every event is validated, often more than once); the sum of at most
        // 2^32 / 2 words of 32 bits cannot overflow a u64. Only an invalid record walks the
        // lengths again to name the parameter that overruns.
        let words = &bytes[HEADER_LEN..values_start as usize];
        let total = sum_lengths(words, lsize);
        if values_start + total > len as u64 {
            return Err(Self::overrun(bytes, lsize, nparams, values_start, len));
        }
        Ok(Record { bytes, lsize })
    }

    /// The error for a record whose values overrun its length: the first parameter that
    /// ends past it.
    #[cold]
    fn overrun(
        bytes: &[u8],
        lsize: usize,
        nparams: u32,
        values_start: u64,
        len: u32,
    ) -> DecodeError {
        let mut end = values_start;
        for i in 0..nparams as usize {
            let at = HEADER_LEN + i * lsize;
            end += if lsize == 2 {
                rd_u16(bytes, at) as u64
            } else {
                rd_u32(bytes, at) as u64
            };
            if end > len as u64 {
                return DecodeError::ParamsOverrun {
                    param: i as u32,
                    end,
                    len,
                };
            }
        }
        // Unreachable when the sum overran; kept total rather than panicking.
        DecodeError::ParamsOverrun {
            param: nparams.saturating_sub(1),
            end,
            len,
        }
    }

    /// The record's bytes, exactly `len` long.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Timestamp in nanoseconds since the epoch.
    #[inline]
    pub fn ts(&self) -> u64 {
        rd_u64(self.bytes, OFF_TS)
    }
    /// Thread id.
    #[inline]
    pub fn tid(&self) -> u64 {
        rd_u64(self.bytes, OFF_TID)
    }
    /// Record length, header included.
    #[inline]
    pub fn len(&self) -> u32 {
        self.bytes.len() as u32
    }
    /// Always false: a record holds at least its header.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Event id.
    #[inline]
    pub fn evtype(&self) -> u16 {
        rd_u16(self.bytes, OFF_TYPE)
    }
    /// Number of parameters.
    #[inline]
    pub fn nparams(&self) -> u32 {
        rd_u32(self.bytes, OFF_NPARAMS)
    }
    /// The parameters, in order.
    #[inline]
    pub fn params(&self) -> RecordParams<'a> {
        RecordParams {
            bytes: self.bytes,
            lsize: self.lsize,
            nparams: self.nparams() as usize,
        }
    }
    /// Parameter `i`'s value, or `None` when the record has fewer parameters.
    #[inline]
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        self.params().get(i)
    }
}

/// The parameters of a validated record.
#[derive(Clone, Copy, Debug)]
pub struct RecordParams<'a> {
    bytes: &'a [u8],
    lsize: usize,
    nparams: usize,
}

impl<'a> RecordParams<'a> {
    /// Number of parameters.
    #[inline]
    pub fn len(&self) -> usize {
        self.nparams
    }
    /// True when the record has no parameters.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.nparams == 0
    }
    #[inline]
    fn len_at(&self, i: usize) -> usize {
        let at = HEADER_LEN + i * self.lsize;
        if self.lsize == 2 {
            rd_u16(self.bytes, at) as usize
        } else {
            rd_u32(self.bytes, at) as usize
        }
    }
    /// Parameter `i`'s value, or `None` past the last parameter.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams {
            return None;
        }
        // The values before `i`, summed as in Record::parse (no test per parameter).
        let words = self.bytes.get(HEADER_LEN..HEADER_LEN + i * self.lsize)?;
        let before = sum_lengths(words, self.lsize) as usize;
        let off = HEADER_LEN + self.nparams * self.lsize + before;
        // Validated in Record::parse: every value lies within the record.
        self.bytes.get(off..off + self.len_at(i))
    }
    /// Iterates over the parameter values.
    #[inline]
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            params: *self,
            next: 0,
            off: HEADER_LEN + self.nparams * self.lsize,
        }
    }
}

impl<'a> IntoIterator for RecordParams<'a> {
    type Item = &'a [u8];
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over a record's parameter values.
#[derive(Clone, Debug)]
pub struct ParamIter<'a> {
    params: RecordParams<'a>,
    next: usize,
    off: usize,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.next >= self.params.nparams {
            return None;
        }
        let l = self.params.len_at(self.next);
        let v = self.params.bytes.get(self.off..self.off + l)?;
        self.next += 1;
        self.off += l;
        Some(v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.params.nparams - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for ParamIter<'_> {}

/// The destination buffer cannot hold the record (or a parameter is too long for its
/// length word). Nothing meaningful was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoRoom {
    /// Bytes the record needs (saturating), or `usize::MAX` when a parameter cannot be encoded.
    pub needed: usize,
    /// Bytes available.
    pub available: usize,
}

impl core::fmt::Display for NoRoom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "no room for event: need {} bytes, have {}",
            self.needed, self.available
        )
    }
}

/// Builds one record in place, parameter by parameter, without allocating.
///
/// The kernel writer uses it to fill a ring slot directly; [`encode_record`] wraps it.
pub struct RecordBuilder<'b> {
    buf: &'b mut [u8],
    lsize: usize,
    nparams: usize,
    pushed: usize,
    off: usize,
}

impl<'b> RecordBuilder<'b> {
    /// Starts a record with `nparams` parameters in `buf`.
    pub fn new(
        buf: &'b mut [u8],
        ts: u64,
        tid: u64,
        evtype: u16,
        nparams: u32,
    ) -> Result<Self, NoRoom> {
        let lsize = param_len_size(evtype);
        let values = HEADER_LEN.saturating_add((nparams as usize).saturating_mul(lsize));
        if values > buf.len() {
            return Err(NoRoom {
                needed: values,
                available: buf.len(),
            });
        }
        buf[OFF_TS..OFF_TS + 8].copy_from_slice(&ts.to_le_bytes());
        buf[OFF_TID..OFF_TID + 8].copy_from_slice(&tid.to_le_bytes());
        buf[OFF_TYPE..OFF_TYPE + 2].copy_from_slice(&evtype.to_le_bytes());
        buf[OFF_NPARAMS..OFF_NPARAMS + 4].copy_from_slice(&nparams.to_le_bytes());
        Ok(RecordBuilder {
            buf,
            lsize,
            nparams: nparams as usize,
            pushed: 0,
            off: values,
        })
    }

    /// Appends a parameter whose value is written by `fill` into at most `max_len` bytes;
    /// `fill` returns how many bytes it wrote (clamped to `max_len`). Used to copy from
    /// user memory without an intermediate buffer.
    pub fn push_with(
        &mut self,
        max_len: usize,
        fill: impl FnOnce(&mut [u8]) -> usize,
    ) -> Result<(), NoRoom> {
        let available = self.buf.len();
        if self.pushed >= self.nparams {
            return Err(NoRoom {
                needed: usize::MAX,
                available,
            });
        }
        let max_word = if self.lsize == 2 {
            u16::MAX as usize
        } else {
            u32::MAX as usize
        };
        let room = available - self.off;
        let cap = max_len.min(room).min(max_word);
        let written = fill(&mut self.buf[self.off..self.off + cap]).min(cap);
        let at = HEADER_LEN + self.pushed * self.lsize;
        if self.lsize == 2 {
            self.buf[at..at + 2].copy_from_slice(&(written as u16).to_le_bytes());
        } else {
            self.buf[at..at + 4].copy_from_slice(&(written as u32).to_le_bytes());
        }
        self.off += written;
        self.pushed += 1;
        Ok(())
    }

    /// Appends a parameter value, failing if it does not fit or exceeds its length word.
    pub fn push(&mut self, value: &[u8]) -> Result<(), NoRoom> {
        let available = self.buf.len();
        let max_word = if self.lsize == 2 {
            u16::MAX as usize
        } else {
            u32::MAX as usize
        };
        if value.len() > max_word {
            return Err(NoRoom {
                needed: usize::MAX,
                available,
            });
        }
        if value.len() > available - self.off {
            return Err(NoRoom {
                needed: self.off.saturating_add(value.len()),
                available,
            });
        }
        self.push_with(value.len(), |dst| {
            dst[..value.len()].copy_from_slice(value);
            value.len()
        })
    }

    /// Writes `len`, filling parameters never pushed as empty, and returns the record length.
    pub fn finish(mut self) -> Result<usize, NoRoom> {
        while self.pushed < self.nparams {
            self.push(&[])?;
        }
        let len = self.off;
        if len > u32::MAX as usize {
            return Err(NoRoom {
                needed: len,
                available: self.buf.len(),
            });
        }
        self.buf[OFF_LEN..OFF_LEN + 4].copy_from_slice(&(len as u32).to_le_bytes());
        Ok(len)
    }
}

/// Encodes one record with the given parameter values into the start of `buf`.
/// Returns the record length.
pub fn encode_record(
    buf: &mut [u8],
    ts: u64,
    tid: u64,
    evtype: u16,
    params: &[&[u8]],
) -> Result<usize, NoRoom> {
    let lsize = param_len_size(evtype);
    let needed = params
        .iter()
        .fold(HEADER_LEN + params.len() * lsize, |acc, p| {
            acc.saturating_add(p.len())
        });
    if needed > buf.len() {
        return Err(NoRoom {
            needed,
            available: buf.len(),
        });
    }
    let mut b = RecordBuilder::new(buf, ts, tid, evtype, params.len() as u32)?;
    for p in params {
        b.push(p)?;
    }
    b.finish()
}

/// The sum of the parameter lengths in `words` (`lsize` = 2 or 4 bytes each, little endian),
/// without a test per parameter: a loop the compiler unrolls and vectorizes.
#[inline]
fn sum_lengths(words: &[u8], lsize: usize) -> u64 {
    if lsize == 2 {
        words
            .chunks_exact(2)
            .map(|w| u16::from_le_bytes([w[0], w[1]]) as u64)
            .sum()
    } else {
        words
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as u64)
            .sum()
    }
}
