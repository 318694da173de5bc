// SPDX-License-Identifier: GPL-2.0
//! The `/dev/falcoN` devices: open, mmap, ioctl through `kernel::miscdevice`, and `poll`.
//!
//! 7.3's `MiscDevice` has no poll hook, so at load we copy the `file_operations` the kernel crate
//! builds for [`RingDevice`], add our `poll`, and point every opened file at that copy (the owner
//! module is the same, so the reference `misc_open` took stays balanced).

use core::ffi::c_uint;
use core::mem::MaybeUninit;
use kernel::{
    bindings,
    fs::File,
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::virt::VmaNew,
    prelude::*,
    sync::poll::PollTable,
    types::ForeignOwnable,
    uaccess::{UserPtr, UserSlice},
};

use crate::capture::Capture;
use crate::misc_registration::ModeRegistration;
use crate::ioctl as abi;

/// An open `/dev/falcoN`.
pub(crate) struct RingDevice {
    cpu: usize,
}

/// The file operations opened files use: the kernel crate's table plus `poll`.
// INVARIANT: written once in `init_fops` before any device is registered, read-only afterwards.
static mut FOPS: MaybeUninit<bindings::file_operations> = MaybeUninit::zeroed();

/// Builds [`FOPS`]. Must run before the first registration.
pub(crate) fn init_fops() {
    let raw = MiscDeviceOptions { name: c"falco" }.into_raw::<RingDevice>();
    // SAFETY: `raw.fops` points to the kernel crate's static table for RingDevice; FOPS is not
    // yet visible to any file (INVARIANT), so this single-threaded write races with nothing.
    unsafe {
        let mut f = *raw.fops;
        f.poll = Some(poll);
        (*(&raw mut FOPS)).write(f);
    }
}

/// Mode of the `/dev/falcoN` nodes: read-only for root (the rings are mapped read-only and the
/// ioctls work on a read-only open).
const NODE_MODE: u16 = 0o400;

/// The registered devices, one per possible CPU id.
pub(crate) struct Devices {
    /// Deregistered on drop.
    #[allow(dead_code)]
    regs: KVec<Pin<KBox<ModeRegistration<RingDevice>>>>,
    /// Backing store of the device names (`falcoN\0`), kept alive as long as `regs`.
    _names: KVec<KVec<u8>>,
}

impl Devices {
    /// Registers `/dev/falco0` .. `/dev/falco{n-1}`, each node mode 0400 (owner root).
    ///
    /// # Errors
    /// ENOMEM, or the error of `misc_register`.
    pub(crate) fn register(n: usize) -> Result<Devices> {
        let mut names: KVec<KVec<u8>> = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut regs = KVec::with_capacity(n, GFP_KERNEL)?;
        for cpu in 0..n {
            let mut name = KVec::with_capacity(16, GFP_KERNEL)?;
            name.extend_from_slice(b"falco", GFP_KERNEL)?;
            push_decimal(&mut name, cpu)?;
            name.push(0, GFP_KERNEL)?;
            // SAFETY: `name` ends with its only NUL. Its heap buffer never moves (no more pushes)
            // and is freed only when `Devices` drops, after `regs` (declared first) has
            // deregistered every device that points to it, so treating it as 'static is sound.
            let cname: &'static CStr =
                unsafe { CStr::from_bytes_with_nul_unchecked(core::slice::from_raw_parts(name.as_ptr(), name.len())) };
            names.push(name, GFP_KERNEL)?;
            let opts = MiscDeviceOptions { name: cname };
            regs.push(KBox::pin_init(ModeRegistration::register(opts, NODE_MODE), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Devices { regs, _names: names })
    }
}

fn push_decimal(v: &mut KVec<u8>, mut n: usize) -> Result {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    v.extend_from_slice(&digits[i..], GFP_KERNEL)?;
    Ok(())
}

/// The CPU number in a `falcoN` device name.
fn cpu_of(misc: &MiscDeviceRegistration<RingDevice>) -> Option<usize> {
    // SAFETY: the registration is live (we are in its open callback) and its name is the
    // NUL-terminated string we registered.
    let name = unsafe { CStr::from_char_ptr((*misc.as_raw()).name) };
    let digits = name.to_bytes().strip_prefix(b"falco")?;
    let mut n: usize = 0;
    for d in digits {
        n = n.checked_mul(10)?.checked_add(d.checked_sub(b'0').filter(|d| *d < 10)? as usize)?;
    }
    Some(n)
}

#[vtable]
impl MiscDevice for RingDevice {
    type Ptr = KBox<Self>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Capture::with(|cap| {
            let cpu = cpu_of(misc).filter(|c| *c < cap.nr_rings()).ok_or(ENODEV)?;
            let dev = KBox::new(RingDevice { cpu }, GFP_KERNEL)?;
            // SAFETY: FOPS is initialised (INVARIANT) and lives as long as the module, which this
            // open file pins; it has the same owner as the table misc_open installed.
            unsafe { (*file.as_ptr()).f_op = (&raw const FOPS).cast() };
            cap.file_opened();
            Ok(dev)
        })
        .unwrap_or(Err(ENODEV))
    }

    fn release(device: KBox<Self>, _file: &File) {
        Capture::with(|cap| cap.file_closed());
        drop(device);
    }

    fn mmap(device: &RingDevice, _file: &File, vma: &VmaNew) -> Result {
        Capture::with(|cap| cap.ring(device.cpu).ok_or(ENODEV)?.mmap(vma)).unwrap_or(Err(ENODEV))
    }

    fn ioctl(_device: &RingDevice, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        Capture::with(|cap| run_ioctl(cap, cmd, arg)).unwrap_or(Err(ENODEV))
    }
}

/// One ioctl of an open device, on the published capture.
fn run_ioctl(cap: &Capture, cmd: u32, arg: usize) -> Result<isize> {
    let user = UserPtr::from_addr(arg);
    match cmd {
        abi::GET_ABI_VERSION => {
            UserSlice::new(user, 4).writer().write(&crate::ring::ABI_VERSION)?;
        }
        abi::ENABLE_CAPTURE => cap.set_enabled(true),
        abi::DISABLE_CAPTURE => cap.set_enabled(false),
        abi::SET_SNAPLEN => {
            let v: u32 = UserSlice::new(user, 4).reader().read()?;
            cap.set_snaplen(v)?;
        }
        abi::SET_DROP_FAILED => {
            let v: u32 = UserSlice::new(user, 4).reader().read()?;
            cap.set_drop_failed(v != 0);
        }
        abi::SET_EVENT_MASK => {
            let words: [u64; abi::EVENT_MASK_WORDS] =
                UserSlice::new(user, core::mem::size_of::<abi::EventMask>()).reader().read()?;
            cap.set_mask(&words);
        }
        abi::SET_SYSCALL_MASK => {
            let words: [u64; abi::SYSCALL_MASK_WORDS] =
                UserSlice::new(user, core::mem::size_of::<abi::SyscallMask>()).reader().read()?;
            cap.set_syscall_mask(&words);
        }
        abi::GET_STATS => {
            let s = cap.stats();
            let mut w = UserSlice::new(user, core::mem::size_of::<abi::Stats>()).writer();
            w.write(&s.events)?;
            w.write(&s.drops)?;
        }
        _ => return Err(ENOTTY),
    }
    Ok(0)
}

/// `f_op->poll` of an opened device.
///
/// # Safety
/// Called only by the VFS through [`FOPS`], which only files opened by [`RingDevice::open`]
/// use: `file` is such a file, held open for the call (so its `private_data` is the
/// `KBox<RingDevice>` the kernel crate's open stored, not yet released), and `table` is the
/// caller's poll table or null.
unsafe extern "C" fn poll(file: *mut bindings::file, table: *mut bindings::poll_table) -> c_uint {
    // SAFETY: `file` is an open file of ours, so `private_data` holds the KBox<RingDevice> that
    // the kernel crate's open stored with `into_foreign`, borrowed here for the call only.
    let dev: &RingDevice = unsafe { <KBox<RingDevice> as ForeignOwnable>::borrow((*file).private_data) };
    // SAFETY: the kernel passes a valid file and poll table (or null) for this call.
    let (f, t) = unsafe { (File::from_raw_file(file), PollTable::from_raw(table)) };
    Capture::with(|c| c.ring(dev.cpu).map(|r| r.poll(f, t))).flatten().unwrap_or(bindings::POLLERR)
}
