//! `watch_config_files`: an inotify thread that sets the reload flag when a configuration or
//! rules file changes (editors that replace files are covered by watching the directories).
//! A reload changes the watched set ([`Watcher::set`]): files added to or removed from the
//! configuration, or watching turned off and on.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the watching thread reacts to.
#[derive(Default)]
struct Filter {
    /// File names, in any watched directory.
    names: HashSet<Vec<u8>>,
    /// Watches of rules directories, where any `.yaml`/`.yml` counts.
    watch_all: HashSet<i32>,
}

/// A running watch: its inotify descriptor (kept open for the engine's life) and what its
/// thread reacts to.
pub struct Watcher {
    fd: i32,
    filter: Arc<Mutex<Filter>>,
    /// Watch descriptors by directory.
    watches: Mutex<HashMap<PathBuf, i32>>,
}

/// Starts watching `files` (files or directories); changes set `flag`. `None` when inotify is
/// unavailable (the engine then relies on SIGHUP only).
pub fn start(files: &[PathBuf], flag: Arc<AtomicBool>) -> Option<Watcher> {
    // SAFETY: plain syscall, no pointers.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let w = Watcher {
        fd,
        filter: Arc::new(Mutex::new(Filter::default())),
        watches: Mutex::new(HashMap::new()),
    };
    w.set(files);
    let filter = w.filter.clone();
    let spawned = std::thread::Builder::new()
        .name("config-watch".into())
        .spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                // SAFETY: the buffer is valid for its length.
                let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                if n <= 0 {
                    return;
                }
                let Ok(filter) = filter.lock() else { return };
                let mut off = 0usize;
                let hdr = std::mem::size_of::<libc::inotify_event>();
                while off + hdr <= n as usize {
                    // SAFETY: the kernel wrote a whole inotify_event at `off`; read it unaligned.
                    let ev: libc::inotify_event =
                        unsafe { std::ptr::read_unaligned(buf.as_ptr().add(off).cast()) };
                    let name_start = off + hdr;
                    let name_end = (name_start + ev.len as usize).min(n as usize);
                    let raw = &buf[name_start..name_end];
                    let name: Vec<u8> = raw.iter().copied().take_while(|&b| b != 0).collect();
                    let relevant = filter.watch_all.contains(&ev.wd)
                        && (name.ends_with(b".yaml") || name.ends_with(b".yml"))
                        || filter.names.contains(&name);
                    if relevant {
                        flag.store(true, Ordering::Relaxed);
                    }
                    off = name_end;
                }
            }
        });
    spawned.is_ok().then_some(w)
}

impl Watcher {
    /// Watches exactly `files` from now on (an empty list: nothing); directories no longer
    /// needed stop being watched.
    pub fn set(&self, files: &[PathBuf]) {
        let mut names: HashSet<Vec<u8>> = HashSet::new();
        let mut dirs: HashSet<PathBuf> = HashSet::new();
        let mut all_dirs: HashSet<PathBuf> = HashSet::new();
        for f in files {
            if f.is_dir() {
                dirs.insert(f.clone());
                all_dirs.insert(f.clone());
            } else {
                let dir = f
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                dirs.insert(dir.to_path_buf());
                if let Some(n) = f.file_name() {
                    names.insert(n.as_bytes().to_vec());
                }
            }
        }
        let Ok(mut watches) = self.watches.lock() else {
            return;
        };
        watches.retain(|dir, wd| {
            let keep = dirs.contains(dir);
            if !keep {
                // SAFETY: plain syscall on our own descriptors.
                unsafe { libc::inotify_rm_watch(self.fd, *wd) };
            }
            keep
        });
        for d in &dirs {
            if !watches.contains_key(d) {
                if let Some(wd) = add_watch(self.fd, d) {
                    watches.insert(d.clone(), wd);
                }
            }
        }
        let watch_all = all_dirs
            .iter()
            .filter_map(|d| watches.get(d).copied())
            .collect();
        if let Ok(mut f) = self.filter.lock() {
            *f = Filter { names, watch_all };
        }
    }
}

fn add_watch(fd: i32, dir: &Path) -> Option<i32> {
    let c = CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mask = libc::IN_CLOSE_WRITE | libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_DELETE;
    // SAFETY: valid fd and NUL-terminated path.
    let wd = unsafe { libc::inotify_add_watch(fd, c.as_ptr(), mask) };
    (wd >= 0).then_some(wd)
}
