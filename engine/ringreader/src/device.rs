use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use memmap2::{Mmap, MmapMut, MmapOptions};
use ringbuf_abi::ioctl::{self, EventMask, Stats, SyscallMask};
use ringbuf_abi::record::{HEADER_LEN, OFF_LEN, OFF_TS};
use ringbuf_abi::ring::{
    aligned_len, data_map_len, data_offset, is_valid_ring_size, RingControl, ABI_VERSION,
    CONTROL_PAGE_SIZE, DATA_OFFSET, DROP_CATEGORIES,
};
use ringbuf_abi::Record;

use crate::error::{io, Error};

/// Drop counters of one ring or of all of them, indexed by [`ringbuf_abi::ring::DropCategory`].
pub type DropCounts = [u64; DROP_CATEGORIES];

/// Counters of one ring, read from its control page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RingStats {
    /// Events written.
    pub events: u64,
    /// Events dropped, by category.
    pub drops: DropCounts,
    /// Bytes published but not yet consumed.
    pub pending: u64,
}

/// One ring: a module device's control page and doubly mapped data pages, or a BPF ring
/// buffer's consumer page, producer page and doubly mapped data pages (see [`crate::bpf`]).
pub struct Ring {
    path: PathBuf,
    file: File,
    /// The module's control page, or the BPF ring's consumer page.
    control: MmapMut,
    /// The module's data pages, or the BPF ring's producer page followed by its data pages.
    data: Mmap,
    /// What kind of ring this is.
    kind: Kind,
    cpu: u32,
    size: u64,
    /// Next position to read (the engine's copy of `tail`).
    tail: u64,
    /// `tail` as last stored in the control page (see [`Ring::publish`]).
    published: u64,
    /// Last `head` seen.
    head: u64,
    /// `head` as read in the pass before the last one: records below it may be handed out
    /// (see [`RingSet::next_record`]).
    limit: u64,
}

impl Ring {
    /// Opens and maps one ring device.
    ///
    /// # Errors
    /// [`Error::Io`] when open/mmap fails, [`Error::BadControl`] for an impossible ring size,
    /// [`Error::AbiMismatch`] when the module speaks another ABI.
    pub fn open(path: &Path) -> Result<Ring, Error> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io(format!("open {}", path.display()), e))?;
        // SAFETY: the control page is shared with the kernel; we only access it through
        // `RingControl`'s atomics (or fields the module never changes after creation).
        let control = unsafe { MmapOptions::new().len(CONTROL_PAGE_SIZE).map_mut(&file) }
            .map_err(|e| io(format!("mmap control page of {}", path.display()), e))?;
        // SAFETY: page-aligned mapping of CONTROL_PAGE_SIZE >= size_of::<RingControl>().
        let ctl = unsafe { &*(control.as_ptr() as *const RingControl) };
        if ctl.abi_version != ABI_VERSION {
            return Err(Error::AbiMismatch {
                module: ctl.abi_version,
                reader: ABI_VERSION,
            });
        }
        let (size, cpu) = (ctl.ring_size, ctl.cpu);
        if !usize::try_from(size).is_ok_and(is_valid_ring_size) {
            return Err(Error::BadControl {
                device: path.into(),
                detail: format!("ring size {size}"),
            });
        }
        let tail = ctl.tail.load(Ordering::Acquire);
        // SAFETY: the module maps the data pages read-only; they change under us only in the
        // range the control page says is not ours (outside [tail, head)).
        let data = unsafe {
            MmapOptions::new()
                .offset(DATA_OFFSET as u64)
                .len(data_map_len(size as usize))
                .map(&file)
        }
        .map_err(|e| io(format!("mmap data pages of {}", path.display()), e))?;
        Ok(Ring {
            path: path.into(),
            file,
            control,
            data,
            kind: Kind::Device,
            cpu,
            size,
            tail,
            published: tail,
            head: tail,
            limit: tail,
        })
    }

    fn ctl(&self) -> &RingControl {
        debug_assert!(self.kind == Kind::Device);
        // SAFETY: see `open`: page-aligned, large enough, lives as long as `self.control`.
        unsafe { &*(self.control.as_ptr() as *const RingControl) }
    }

    /// Opens a BPF ring buffer map of `size` data bytes (see [`crate::bpf`]); `cpu` is the
    /// first CPU of the group that writes to it.
    ///
    /// # Errors
    /// [`Error::Io`] when a mapping fails, [`Error::BadControl`] for a size that is not a
    /// power-of-two multiple of the page size.
    pub fn bpf(fd: std::os::fd::OwnedFd, size: u64, cpu: u32, name: &str) -> Result<Ring, Error> {
        let path = PathBuf::from(format!("bpf ring buffer {name}"));
        let file = File::from(fd);
        let (control, data) = crate::bpf::map(&file, size, &path)?;
        let tail = crate::bpf::consumer(&control).load(Ordering::Acquire);
        Ok(Ring {
            path,
            file,
            control,
            data,
            kind: Kind::Bpf,
            cpu,
            size,
            tail,
            published: tail,
            head: tail,
            limit: tail,
        })
    }

    /// The CPU this ring belongs to.
    pub fn cpu(&self) -> u32 {
        self.cpu
    }

    /// The device path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the data area in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Counters from the control page (a BPF ring has none of its own: see
    /// [`RingSet::stats`]).
    pub fn stats(&self) -> RingStats {
        if self.kind == Kind::Bpf {
            return RingStats {
                pending: self.head.wrapping_sub(self.tail),
                ..RingStats::default()
            };
        }
        let c = self.ctl();
        let mut drops = [0; DROP_CATEGORIES];
        for (d, a) in drops.iter_mut().zip(c.drops.iter()) {
            *d = a.load(Ordering::Relaxed);
        }
        RingStats {
            events: c.events.load(Ordering::Relaxed),
            drops,
            pending: c.head.load(Ordering::Relaxed).wrapping_sub(self.tail),
        }
    }

    /// Reloads `head`.
    fn refresh(&mut self) {
        self.head = match self.kind {
            Kind::Device => self.ctl().head.load(Ordering::Acquire),
            Kind::Bpf => crate::bpf::producer(&self.data).load(Ordering::Acquire),
        };
        if self.kind == Kind::Bpf {
            self.skip_discarded();
        }
    }

    /// Where the record at `tail` starts in `data`, and how many bytes it may span: for a BPF
    /// ring, after its 8-byte ring header and only once the producer committed it (`None`
    /// while it is still being written). A record the producer discarded is reported as
    /// `Err(len)` so that the caller moves past it.
    fn locate(&self) -> Option<Result<(usize, usize), usize>> {
        if self.tail >= self.head {
            return None;
        }
        let avail = (self.head - self.tail).min(self.size) as usize;
        let off = data_offset(self.tail, self.size);
        match self.kind {
            Kind::Device => Some(Ok((off, avail))),
            Kind::Bpf => match crate::bpf::header(&self.data, off)? {
                crate::bpf::Header::Busy => None,
                crate::bpf::Header::Discarded(len) => Some(Err(len)),
                crate::bpf::Header::Ready(len) => Some(Ok((
                    crate::bpf::record_offset(off),
                    len.min(avail.saturating_sub(crate::bpf::HEADER_LEN)),
                ))),
            },
        }
    }

    /// Moves past discarded BPF records at `tail`.
    fn skip_discarded(&mut self) {
        while let Some(Err(len)) = self.locate() {
            self.tail += crate::bpf::advance_len(len) as u64;
        }
    }

    /// The record at `tail`, if one was published at the last refresh.
    fn peek(&self) -> Option<Result<Record<'_>, Error>> {
        let (off, avail) = self.locate()?.ok()?;
        // The doubled mapping makes `off + avail <= 2 * size` contiguous.
        let bytes = &self.data[off..off + avail];
        Some(Record::parse(bytes).map_err(|detail| Error::Corrupt {
            cpu: self.cpu,
            pos: self.tail,
            detail,
        }))
    }

    /// The timestamp in the header of the record at `tail`, read without summing its
    /// parameter lengths (that happens when it is handed out); 0 when the header itself is
    /// truncated or gives an impossible length, so that the record is picked at once and its
    /// error reported.
    fn peek_ts(&self) -> Option<u64> {
        let (off, avail) = self.locate()?.ok()?;
        let header = self.data.get(off..off + avail.min(HEADER_LEN))?;
        let word = |at: usize, n: usize| {
            header
                .get(at..at + n)
                .map(|b| b.iter().rev().fold(0u64, |v, &x| v << 8 | u64::from(x)))
        };
        let ts = match (word(OFF_TS, 8), word(OFF_LEN, 4)) {
            (Some(ts), Some(len)) if len as usize >= HEADER_LEN && len as usize <= avail => ts,
            _ => 0,
        };
        Some(ts)
    }

    /// Moves past `len` bytes. The module learns they are free in batches (see
    /// [`PUBLISH_BYTES`]), not per record: the control page's `tail` shares a cache line that
    /// the producing CPU reads on every event.
    fn advance(&mut self, len: usize) {
        self.tail += match self.kind {
            Kind::Device => aligned_len(len),
            Kind::Bpf => crate::bpf::advance_len(len),
        } as u64;
        if self.tail - self.published >= PUBLISH_BYTES.min(self.size / 8) {
            self.publish();
        }
    }

    /// Tells the module that everything before `tail` is free.
    fn publish(&mut self) {
        if self.published != self.tail {
            match self.kind {
                Kind::Device => self.ctl().tail.store(self.tail, Ordering::Release),
                Kind::Bpf => {
                    crate::bpf::consumer(&self.control).store(self.tail, Ordering::Release)
                }
            }
            self.published = self.tail;
        }
    }

    /// Gives up on everything published (after a corrupt record).
    fn skip_all(&mut self) {
        self.tail = self.head;
        self.publish();
    }

    fn ioctl_ptr<T>(&self, req: u32, arg: *const T) -> Result<(), Error> {
        // SAFETY: `req` is one of the module's ioctls and `arg` points to a value of the size
        // its number encodes (checked by the callers' types).
        let rc = unsafe { libc::ioctl(self.file.as_raw_fd(), req as _, arg) };
        if rc < 0 {
            return Err(io(
                format!("ioctl {req:#x} on {}", self.path.display()),
                std::io::Error::last_os_error(),
            ));
        }
        Ok(())
    }
}

/// Passes over the rings [`RingSet::next_record`] makes at most before handing out a record.
const MAX_PASSES: u32 = 8;

/// Bytes read from a ring before its `tail` is given back to the module while draining (at
/// most 1/8 of the ring); the rest is given back when the rings are empty or before sleeping.
const PUBLISH_BYTES: u64 = 64 * 1024;

/// The kind of a [`Ring`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A `/dev/falcoN` device of the kernel module.
    Device,
    /// A BPF ring buffer map of the eBPF driver.
    Bpf,
}

/// The controls of a driver that is not the kernel module (the eBPF driver): what the module
/// does through ioctls on its devices.
pub trait Driver: Send {
    /// Starts producing events.
    ///
    /// # Errors
    /// The driver's complaint.
    fn enable(&self) -> Result<(), Error>;
    /// Stops producing events.
    ///
    /// # Errors
    /// The driver's complaint.
    fn disable(&self) -> Result<(), Error>;
    /// Sets the bytes captured from I/O buffers.
    ///
    /// # Errors
    /// The driver's complaint (a snaplen it refuses).
    fn set_snaplen(&self, snaplen: u32) -> Result<(), Error>;
    /// Sets the event ids to produce.
    ///
    /// # Errors
    /// The driver's complaint.
    fn set_event_mask(&self, mask: &EventMask) -> Result<(), Error>;
    /// When true, failed syscalls are not reported.
    ///
    /// # Errors
    /// The driver's complaint.
    fn set_drop_failed(&self, drop: bool) -> Result<(), Error>;
    /// Events written and dropped (by category), over every CPU.
    fn counters(&self) -> (u64, DropCounts);
    /// Calls of its programs the kernel skipped because the same program was preempted on
    /// that CPU, and how many of those a fallback program took over (`None`: the driver has
    /// no such counts). The ones not taken over are already among the drops.
    fn preemption(&self) -> Option<Preemption> {
        None
    }
}

/// Program calls skipped by the kernel while the same program was preempted on that CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Preemption {
    /// Calls of the first program of an attach point the kernel skipped.
    pub skipped: u64,
    /// Calls its fallback program took over.
    pub recovered: u64,
}

/// Every ring of a driver, read together.
pub struct RingSet {
    rings: Vec<Ring>,
    /// The driver's controls when it is not the kernel module.
    driver: Option<Box<dyn Driver>>,
    /// An epoll instance watching every ring.
    epoll: std::os::fd::OwnedFd,
    /// Some ring is a file epoll cannot watch (a regular file standing in for a device, as in
    /// the tests): like poll() on such a file, waiting then never sleeps.
    always_ready: bool,
    /// Ring whose record `next_record` handed out last, to advance on the next call.
    pending: Option<(usize, usize)>,
    /// Ring whose record did not decode, to skip to its head on the next call.
    skip: Option<usize>,
    /// Records that failed to decode (the ring was resynchronised each time).
    corrupt: u64,
}

impl RingSet {
    /// Opens every `falcoN` device in `dir` (normally `/dev`).
    ///
    /// # Errors
    /// [`Error::NoDevices`] when there is none; otherwise the first error of [`Ring::open`].
    pub fn open(dir: &Path) -> Result<RingSet, Error> {
        let mut found: Vec<(u32, PathBuf)> = Vec::new();
        let rd = std::fs::read_dir(dir).map_err(|e| io(format!("read {}", dir.display()), e))?;
        for ent in rd.flatten() {
            let name = ent.file_name();
            let Some(n) = name.to_str().and_then(|s| s.strip_prefix("falco")) else {
                continue;
            };
            if let Ok(cpu) = n.parse::<u32>() {
                found.push((cpu, ent.path()));
            }
        }
        if found.is_empty() {
            return Err(Error::NoDevices(dir.into()));
        }
        found.sort();
        let rings = found
            .iter()
            .map(|(_, p)| Ring::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        RingSet::with(rings, None)
    }

    /// Reads `rings` (BPF ring buffers, see [`Ring::bpf`]) of a driver controlled through
    /// `driver`.
    ///
    /// # Errors
    /// [`Error::Io`] when the epoll instance cannot be made.
    pub fn from_driver(rings: Vec<Ring>, driver: Box<dyn Driver>) -> Result<RingSet, Error> {
        if rings.is_empty() {
            return Err(Error::Driver("the driver has no ring buffer".into()));
        }
        RingSet::with(rings, Some(driver))
    }

    fn with(rings: Vec<Ring>, driver: Option<Box<dyn Driver>>) -> Result<RingSet, Error> {
        use std::os::fd::{AsRawFd, FromRawFd};
        // SAFETY: plain syscall; the result is checked before use.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            return Err(io("epoll_create1", std::io::Error::last_os_error()));
        }
        // SAFETY: `ep` is a new descriptor that nothing else owns.
        let epoll = unsafe { std::os::fd::OwnedFd::from_raw_fd(ep) };
        let mut always_ready = false;
        for (i, r) in rings.iter().enumerate() {
            let mut ev = libc::epoll_event {
                events: libc::EPOLLIN as u32,
                u64: i as u64,
            };
            // SAFETY: both descriptors are open; `ev` is a valid epoll_event.
            let rc = unsafe {
                libc::epoll_ctl(
                    epoll.as_raw_fd(),
                    libc::EPOLL_CTL_ADD,
                    r.file.as_raw_fd(),
                    &mut ev,
                )
            };
            if rc < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EPERM) {
                    always_ready = true;
                    continue;
                }
                return Err(io(format!("epoll_ctl {}", r.path.display()), e));
            }
        }
        Ok(RingSet {
            rings,
            driver,
            epoll,
            always_ready,
            pending: None,
            skip: None,
            corrupt: 0,
        })
    }

    /// The rings, ordered by CPU.
    pub fn rings(&self) -> &[Ring] {
        &self.rings
    }

    /// Records that failed to decode so far.
    pub fn corrupt(&self) -> u64 {
        self.corrupt
    }

    /// The module's ABI version.
    ///
    /// # Errors
    /// [`Error::Io`] when the ioctl fails.
    pub fn abi_version(&self) -> Result<u32, Error> {
        if self.driver.is_some() {
            // The eBPF programs are built from this very ringbuf-abi.
            return Ok(ABI_VERSION);
        }
        let mut v: u32 = 0;
        self.first()
            .ioctl_ptr(ioctl::GET_ABI_VERSION, &mut v as *mut u32)?;
        Ok(v)
    }

    fn first(&self) -> &Ring {
        // PANIC: `open` refuses an empty set.
        &self.rings[0]
    }

    /// Starts capture on every CPU.
    ///
    /// # Errors
    /// [`Error::Io`] when the ioctl fails.
    pub fn enable(&self) -> Result<(), Error> {
        if let Some(d) = &self.driver {
            return d.enable();
        }
        self.first()
            .ioctl_ptr::<u8>(ioctl::ENABLE_CAPTURE, std::ptr::null())
    }

    /// Stops capture on every CPU.
    ///
    /// # Errors
    /// [`Error::Io`] when the ioctl fails.
    pub fn disable(&self) -> Result<(), Error> {
        if let Some(d) = &self.driver {
            return d.disable();
        }
        self.first()
            .ioctl_ptr::<u8>(ioctl::DISABLE_CAPTURE, std::ptr::null())
    }

    /// Sets the bytes captured from I/O buffers.
    ///
    /// # Errors
    /// [`Error::Io`] (EINVAL for a snaplen the module refuses).
    pub fn set_snaplen(&self, snaplen: u32) -> Result<(), Error> {
        if let Some(d) = &self.driver {
            return d.set_snaplen(snaplen);
        }
        self.first()
            .ioctl_ptr(ioctl::SET_SNAPLEN, &snaplen as *const u32)
    }

    /// Sets the event ids to produce.
    ///
    /// # Errors
    /// [`Error::Io`] when the ioctl fails.
    pub fn set_event_mask(&self, mask: &EventMask) -> Result<(), Error> {
        if let Some(d) = &self.driver {
            return d.set_event_mask(mask);
        }
        self.first()
            .ioctl_ptr(ioctl::SET_EVENT_MASK, mask as *const EventMask)
    }

    /// Sets the native syscalls to report.
    ///
    /// # Errors
    /// [`Error::Io`] when the ioctl fails.
    pub fn set_syscall_mask(&self, mask: &SyscallMask) -> Result<(), Error> {
        if self.driver.is_some() {
            return Err(Error::Driver(
                "the eBPF driver selects by event mask only".into(),
            ));
        }
        self.first()
            .ioctl_ptr(ioctl::SET_SYSCALL_MASK, mask as *const SyscallMask)
    }

    /// The module's totals over every ring (the same counters the control pages publish).
    ///
    /// # Errors
    /// [`Error::Io`] when the ioctl fails.
    pub fn module_stats(&self) -> Result<Stats, Error> {
        if let Some(d) = &self.driver {
            let (events, drops) = d.counters();
            return Ok(Stats { events, drops });
        }
        let mut s = Stats::default();
        self.first()
            .ioctl_ptr(ioctl::GET_STATS, &mut s as *mut Stats)?;
        Ok(s)
    }

    /// When true, failed syscalls are not reported.
    ///
    /// # Errors
    /// [`Error::Io`] when the ioctl fails.
    pub fn set_drop_failed(&self, drop: bool) -> Result<(), Error> {
        if let Some(d) = &self.driver {
            return d.set_drop_failed(drop);
        }
        let v: u32 = drop.into();
        self.first()
            .ioctl_ptr(ioctl::SET_DROP_FAILED, &v as *const u32)
    }

    /// Sums the counters of every ring.
    pub fn stats(&self) -> RingStats {
        let mut t = RingStats::default();
        if let Some(d) = &self.driver {
            (t.events, t.drops) = d.counters();
        }
        for r in &self.rings {
            let s = r.stats();
            t.events += s.events;
            t.pending += s.pending;
            for (a, b) in t.drops.iter_mut().zip(s.drops) {
                *a += b;
            }
        }
        t
    }

    /// The driver's count of program calls skipped under preemption (see
    /// [`Driver::preemption`]); `None` for the kernel module, whose probes do not skip.
    pub fn preemption(&self) -> Option<Preemption> {
        self.driver.as_ref().and_then(|d| d.preemption())
    }

    /// Sleeps in `epoll_wait()` until a ring has data to read or `timeout_ms` passes (-1:
    /// forever). Returns true when some ring is readable.
    ///
    /// # Errors
    /// [`Error::Io`] when epoll_wait fails (EINTR is reported as "not readable").
    pub fn wait(&mut self, timeout_ms: i32) -> Result<bool, Error> {
        use std::os::fd::AsRawFd;
        // Readiness is measured from what the consumer positions say is unread.
        self.publish();
        if self.always_ready {
            return Ok(true);
        }
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 8];
        // SAFETY: `evs` is a valid array of `evs.len()` epoll_event structures.
        let n = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                evs.as_mut_ptr(),
                evs.len() as i32,
                timeout_ms,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(io("epoll_wait on the rings", e));
        }
        Ok(n > 0)
    }

    /// The next record of all rings in timestamp order, or `None` when every ring is empty.
    /// The record stays valid until the next call; then its bytes are given back to the module.
    ///
    /// The merge takes the smallest timestamp among every record published so far, but hands
    /// it out only when it was already visible one full pass over the rings earlier: every
    /// ring's `head` was then read again after the record was seen, so anything published
    /// before it on another CPU (the same thread's previous syscall before it migrated, say)
    /// is visible too and, having an earlier timestamp, comes out first. Reading the rings
    /// one after the other without that second look lets a record published on CPU 1 just
    /// after CPU 0 was found empty overtake an earlier record CPU 0 published in between.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a record that does not decode: that ring is skipped to its head
    /// and reading can go on.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, Error>> {
        self.settle();
        let mut passes = 0;
        let i = loop {
            // Timestamps from the headers only: just the record handed out is validated.
            let mut best: Option<(usize, u64)> = None;
            for (i, r) in self.rings.iter().enumerate() {
                if let Some(ts) = r.peek_ts() {
                    if best.is_none_or(|(_, b)| ts < b) {
                        best = Some((i, ts));
                    }
                }
            }
            match best {
                Some((i, _)) if self.rings[i].tail < self.rings[i].limit => break i,
                // Producers keep publishing records older than the oldest visible one: after
                // this many passes, hand out the oldest rather than spin.
                Some((i, _)) if passes >= MAX_PASSES => break i,
                None if passes > 0 => {
                    self.publish();
                    return None;
                }
                _ => {
                    self.pass();
                    passes += 1;
                }
            }
        };
        match self.rings[i].peek()? {
            Ok(rec) => {
                self.pending = Some((i, rec.len() as usize));
                Some(Ok(rec))
            }
            Err(e) => {
                self.skip = Some(i);
                self.corrupt += 1;
                Some(Err(e))
            }
        }
    }

    /// Moves past the record handed out last, or past everything in the ring whose record did
    /// not decode.
    fn settle(&mut self) {
        if let Some((i, len)) = self.pending.take() {
            self.rings[i].advance(len);
        }
        if let Some(i) = self.skip.take() {
            self.rings[i].skip_all();
        }
    }

    /// Gives every ring's read bytes back to the module.
    fn publish(&mut self) {
        self.settle();
        for r in &mut self.rings {
            r.publish();
        }
    }

    /// The CPU whose ring produced the record [`RingSet::next_record`] returned last.
    pub fn last_cpu(&self) -> Option<u32> {
        self.pending.map(|(i, _)| self.rings[i].cpu)
    }

    /// One look at every ring: the heads read last become the limits of what may be handed
    /// out, then every head is read again. Every head is thus read after every limit.
    fn pass(&mut self) {
        for r in &mut self.rings {
            r.limit = r.head;
        }
        for r in &mut self.rings {
            r.refresh();
        }
    }
}
