//! A batch of event records packed into one buffer.

use ringbuf_abi::Record;

/// Where one record sits in a batch, with its capture metadata.
#[derive(Clone, Copy, Debug)]
pub struct EventRef {
    /// Byte offset of the record in the batch buffer.
    pub start: u32,
    /// Record length.
    pub len: u32,
    /// CPU that produced it.
    pub cpu: u16,
    /// Dump flags (`SCAP_DF_*`).
    pub flags: u32,
}

/// Records copied back to back, plus their index.
#[derive(Debug, Default)]
pub struct EventBatch {
    buf: Vec<u8>,
    events: Vec<EventRef>,
}

/// Batches are handed over once they hold this many bytes.
pub const BATCH_BYTES: usize = 256 * 1024;

impl EventBatch {
    /// An empty batch with room for a typical number of records.
    pub fn with_capacity() -> Self {
        EventBatch {
            buf: Vec::with_capacity(BATCH_BYTES + 64 * 1024),
            events: Vec::with_capacity(4096),
        }
    }
    /// Empties the batch, keeping its memory.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.events.clear();
    }
    /// Appends a record.
    pub fn push(&mut self, rec: &Record<'_>, cpu: u16, flags: u32) {
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(rec.as_bytes());
        self.events.push(EventRef {
            start,
            len: rec.len(),
            cpu,
            flags,
        });
    }
    /// Sets the CPU of the record pushed last (the ring reader says which ring it came from
    /// only once the record's borrow of the rings has ended).
    pub fn set_last_cpu(&mut self, cpu: u16) {
        if let Some(e) = self.events.last_mut() {
            e.cpu = cpu;
        }
    }
    /// True when the batch should be handed over.
    pub fn is_full(&self) -> bool {
        self.buf.len() >= BATCH_BYTES
    }
    /// Number of records.
    pub fn len(&self) -> usize {
        self.events.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// Record `i` with its metadata.
    pub fn get(&self, i: usize) -> Option<(Record<'_>, &EventRef)> {
        let e = self.events.get(i)?;
        let bytes = self.buf.get(e.start as usize..(e.start + e.len) as usize)?;
        Record::parse(bytes).ok().map(|r| (r, e))
    }
    /// The records with their metadata and their index. Records were validated when pushed.
    pub fn iter_indexed(&self) -> impl Iterator<Item = (usize, Record<'_>, &EventRef)> {
        (0..self.events.len()).filter_map(move |i| self.get(i).map(|(r, e)| (i, r, e)))
    }
    /// The records with their metadata. Records were validated when pushed.
    pub fn iter(&self) -> impl Iterator<Item = (Record<'_>, &EventRef)> {
        self.events.iter().filter_map(move |e| {
            let bytes = self.buf.get(e.start as usize..(e.start + e.len) as usize)?;
            Record::parse(bytes).ok().map(|r| (r, e))
        })
    }
}
