//! The pid file is exclusive: a second instance is refused while the first holds it (and the
//! first's file stays intact), a link at its path is refused and its target left untouched, and
//! an instance removes the file at exit only while it is still its own.

mod replay_common;

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::process::Output;

use falco::pipeline::pidfile::{PidFile, PidFileError};

/// The live engine with `--pidfile path`. The pid file is taken before the driver is opened,
/// so this needs no kernel module: without one the run ends after the pid file.
fn live_engine(pidfile: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(replay_common::REPO_CONFIG)
        .args(["-o", "engine.kind=kmod", "--pidfile"])
        .arg(pidfile)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("falco runs")
}

/// Another instance: a process that wrote its pid and holds the lock, as a running engine does.
fn other_instance(path: &Path) -> File {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .expect("pid file created");
    file.lock().expect("locked");
    std::fs::write(path, "4242\n").expect("pid written");
    file
}

#[test]
fn second_engine_is_refused_and_the_first_file_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("falco.pid");
    let _held = other_instance(&path);
    let out = live_engine(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Error: pid file {} is locked by another running instance (pid 4242)",
            path.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("still there"),
        "4242\n"
    );
}

#[test]
fn link_at_the_pid_path_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("precious");
    std::fs::write(&target, "do not overwrite\n").expect("target written");
    let path = dir.path().join("falco.pid");
    std::os::unix::fs::symlink(&target, &path).expect("link");
    let out = live_engine(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Error: pid file {} is a symbolic link or not a regular file",
            path.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "do not overwrite\n"
    );
    assert!(std::fs::symlink_metadata(&path)
        .expect("link still there")
        .file_type()
        .is_symlink());
}

#[test]
fn second_guard_is_refused_and_leaves_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("falco.pid");
    let first = PidFile::create(&path).expect("first takes it");
    let mine = format!("{}\n", std::process::id());
    match PidFile::create(&path) {
        Err(PidFileError::Held { pid, .. }) => assert_eq!(pid, mine.trim()),
        other => panic!("second guard: {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).expect("still there"), mine);
    drop(first);
    assert!(!path.exists(), "removed at exit");
    // Free again once the first is gone.
    let again = PidFile::create(&path).expect("taken again");
    drop(again);
}

#[test]
fn guard_leaves_a_file_that_is_no_longer_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("falco.pid");
    let guard = PidFile::create(&path).expect("taken");
    // Someone replaced the file (a new file at the same path): it is not ours to remove.
    let replacement = dir.path().join("other.pid");
    std::fs::write(&replacement, "4242\n").expect("written");
    std::fs::rename(&replacement, &path).expect("replaced");
    drop(guard);
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), "4242\n");
}

#[test]
fn guard_refuses_a_link_and_a_fifo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("precious");
    std::fs::write(&target, "keep\n").expect("target");
    let link = dir.path().join("link.pid");
    std::os::unix::fs::symlink(&target, &link).expect("link");
    assert!(matches!(
        PidFile::create(&link),
        Err(PidFileError::NotRegular(_))
    ));
    assert_eq!(std::fs::read_to_string(&target).expect("target"), "keep\n");
    let dangling = dir.path().join("dangling.pid");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("link");
    assert!(matches!(
        PidFile::create(&dangling),
        Err(PidFileError::NotRegular(_))
    ));
    assert!(
        !dir.path().join("nowhere").exists(),
        "no file created through the link"
    );
    let fifo = dir.path().join("fifo.pid");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    assert!(matches!(
        PidFile::create(&fifo),
        Err(PidFileError::NotRegular(_))
    ));
}
