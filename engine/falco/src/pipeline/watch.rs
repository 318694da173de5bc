//! `watch_config_files`: an inotify thread that sets the reload flag when a configuration or
//! rules file changes (editors that replace files are covered by watching the directories).

use std::collections::HashSet;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Starts watching `files` (files or directories); changes set `flag`. Returns false when
/// inotify is unavailable (the engine then relies on SIGHUP only).
pub fn start(files: &[PathBuf], flag: Arc<AtomicBool>) -> bool {
    // SAFETY: plain syscall, no pointers.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
    if fd < 0 {
        return false;
    }
    let mut names: HashSet<Vec<u8>> = HashSet::new();
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    for f in files {
        if f.is_dir() {
            dirs.insert(f.clone());
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
    let watch_all: HashSet<i32> = files
        .iter()
        .filter(|f| f.is_dir())
        .filter_map(|d| add_watch(fd, d))
        .collect();
    for d in &dirs {
        add_watch(fd, d);
    }
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
                    let relevant = watch_all.contains(&ev.wd)
                        && (name.ends_with(b".yaml") || name.ends_with(b".yml"))
                        || names.contains(&name);
                    if relevant {
                        flag.store(true, Ordering::Relaxed);
                    }
                    off = name_end;
                }
            }
        });
    spawned.is_ok()
}

fn add_watch(fd: i32, dir: &Path) -> Option<i32> {
    let c = CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mask = libc::IN_CLOSE_WRITE | libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_DELETE;
    // SAFETY: valid fd and NUL-terminated path.
    let wd = unsafe { libc::inotify_add_watch(fd, c.as_ptr(), mask) };
    (wd >= 0).then_some(wd)
}
