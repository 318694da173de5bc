//! A bounds-checked little-endian cursor over a block body, shared by the reader (block
//! headers and bodies) and every block parser, and the string helpers the parsers and
//! encoders share.

use crate::error::ScapError;

/// A bounds-checked little-endian cursor over a block body. Errors carry the absolute stream
/// offset of the field that did not fit.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    block_type: u32,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64, block_type: u32) -> Self {
        Cursor {
            buf,
            pos: 0,
            base,
            block_type,
        }
    }
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    pub(crate) fn error(&self, reason: String) -> ScapError {
        ScapError::BadBlock {
            offset: self.offset(),
            block_type: self.block_type,
            reason,
        }
    }
    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], ScapError> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "{what}: needs {n} bytes, {} left",
                self.remaining()
            )));
        }
        let v = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(v)
    }
    pub(crate) fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ScapError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N, what)?);
        Ok(a)
    }
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, ScapError> {
        Ok(self.array::<1>(what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, ScapError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, ScapError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, ScapError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, ScapError> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }
    /// A `u16 length + bytes` field.
    pub(crate) fn lbytes(&mut self, what: &str) -> Result<&'a [u8], ScapError> {
        let n = self.u16(what)? as usize;
        self.bytes(n, what)
    }
    pub(crate) fn lstring(&mut self, what: &str) -> Result<String, ScapError> {
        Ok(lossy(self.lbytes(what)?))
    }
    pub(crate) fn skip(&mut self, n: usize, what: &str) -> Result<(), ScapError> {
        self.bytes(n, what).map(|_| ())
    }
}

/// Bytes as text, stopping at the first NUL.
pub(crate) fn lossy(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Appends a `u16 length + bytes` field, the encoder's side of [`Cursor::lbytes`]; longer
/// values are cut at `u16::MAX` bytes.
pub(crate) fn put_lbytes(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len().min(u16::MAX as usize);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&b[..n]);
}

/// libscap's limit on a path in a thread or fd entry (`SCAP_MAX_PATH_SIZE`).
pub(crate) const SCAP_MAX_PATH_SIZE: usize = 1024;
/// libscap's limit on a thread's args, env and cgroups lists (`SCAP_MAX_ARGS_SIZE`,
/// `SCAP_MAX_ENV_SIZE`, `SCAP_MAX_CGROUPS_SIZE`).
pub(crate) const SCAP_MAX_LIST_SIZE: usize = 4096;

/// Appends a path-like string as [`put_lbytes`] does, cut below libscap's
/// `SCAP_MAX_PATH_SIZE`: sysdig and Falco refuse the whole capture ("invalid exelen",
/// "invalid cwdlen") when one entry is longer.
pub(crate) fn put_path(out: &mut Vec<u8>, b: &[u8]) {
    put_lbytes(out, &b[..b.len().min(SCAP_MAX_PATH_SIZE - 1)]);
}

/// Appends a NUL-separated list (args, env, cgroups) cut to libscap's 4096-byte limit
/// ("invalid argslen" otherwise); a cut list still ends with a NUL, as the lists
/// libscap writes itself do.
pub(crate) fn put_nul_list(out: &mut Vec<u8>, b: &[u8]) {
    if b.len() <= SCAP_MAX_LIST_SIZE {
        return put_lbytes(out, b);
    }
    let kept = &b[..SCAP_MAX_LIST_SIZE - 1];
    out.extend_from_slice(&(SCAP_MAX_LIST_SIZE as u16).to_le_bytes());
    out.extend_from_slice(kept);
    out.push(0);
}
