//! (c) Round trip through our writer: every reference capture, read and rewritten (plain and
//! gzip), reads back with identical metadata and identical records.

mod common;

use std::io::Cursor;

use falco_scap::{CaptureReader, CaptureWriter};

/// (cpu, flags, record bytes) of every event.
fn events(r: &mut CaptureReader) -> Vec<(u16, u32, Vec<u8>)> {
    let mut v = Vec::new();
    while let Some(ev) = r.next_event().unwrap_or_else(|e| panic!("{e}")) {
        v.push((ev.cpu, ev.flags, ev.record.as_bytes().to_vec()));
    }
    v
}

fn check(name: &str, path: &std::path::Path, gzip: bool) {
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let meta = r.metadata().clone();
    let original = events(&mut r);

    let mut w = CaptureWriter::new(Vec::new(), &meta).unwrap_or_else(|e| panic!("{e}"));
    for (cpu, flags, rec) in &original {
        let rec = ringbuf_abi::Record::parse(rec).unwrap_or_else(|e| panic!("{e}"));
        w.write_event(*cpu, *flags, &rec)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(w.events_written(), original.len() as u64);
    let mut bytes = w.finish().unwrap_or_else(|e| panic!("{e}"));
    if gzip {
        // The same bytes, compressed as a whole, as `CaptureWriter::create(.., true, ..)` does.
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&bytes).unwrap_or_else(|e| panic!("{e}"));
        bytes = enc.finish().unwrap_or_else(|e| panic!("{e}"));
    }

    let mut back =
        CaptureReader::from_reader(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(back.is_gzip(), gzip);
    let mut expected_meta = meta.clone();
    // The writer emits the current versions: a 1.2 header.
    expected_meta.major_version = 1;
    expected_meta.minor_version = 2;
    expected_meta.skipped_blocks = 0;
    assert_eq!(back.metadata(), &expected_meta, "{name}: metadata");
    let again = events(&mut back);
    assert_eq!(again.len(), original.len(), "{name}: event count");
    for (i, (a, b)) in original.iter().zip(&again).enumerate() {
        assert_eq!(a, b, "{name}: event {}", i + 1);
    }
}

#[test]
fn rewritten_captures_read_back_identically() {
    for (i, (name, path, _)) in common::small_captures().into_iter().enumerate() {
        check(name, &path, i % 2 == 0);
    }
}

/// A process on the capturing host can have megabytes of arguments and paths longer than
/// libscap accepts; libscap then refuses the whole file ("invalid argslen 25713" from
/// `sysdig -r`, seen on a CI machine). The writer cuts each field to libscap's limit, and
/// sysdig reads the result.
#[test]
fn oversized_thread_and_fd_fields_are_cut_to_libscap_limits() {
    use falco_scap::meta::fd_type;
    use falco_scap::{CaptureMetadata, FdEntry, FdInfo, FdList, ThreadEntry};

    let mut args = b"sh\0".to_vec();
    for i in 0..3000 {
        args.extend_from_slice(format!("argument-{i}\0").as_bytes());
    }
    assert!(args.len() > 30_000);
    let long_path = format!("/{}", "d/".repeat(2500));
    let thread = ThreadEntry {
        tid: 4242,
        pid: 4242,
        ptid: 1,
        comm: "sh".into(),
        exe: "sh".into(),
        exepath: long_path.clone(),
        args: args.clone(),
        cwd: long_path.clone(),
        env: "X=".repeat(9000).into_bytes(),
        cgroups: b"cpu=/a\0".to_vec(),
        root: "/".into(),
        ..ThreadEntry::default()
    };
    let fds = FdList {
        tid: 4242,
        fds: vec![FdEntry {
            fd: 3,
            ino: 7,
            fd_type: fd_type::FILE_V2,
            info: FdInfo::FileV2 {
                open_flags: 0,
                name: long_path.clone(),
                dev: Some(0),
            },
        }],
    };
    let meta = CaptureMetadata {
        threads: vec![thread],
        fd_lists: vec![fds],
        ..base_metadata()
    };
    let mut w = CaptureWriter::new(Vec::new(), &meta).unwrap_or_else(|e| panic!("{e}"));
    // sysdig refuses a file without events: copy the reference capture's first ones.
    let (name, path, _) = &common::small_captures()[0];
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (cpu, flags, rec) in events(&mut r).iter().take(10) {
        let rec = ringbuf_abi::Record::parse(rec).unwrap_or_else(|e| panic!("{e}"));
        w.write_event(*cpu, *flags, &rec)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let bytes = w.finish().unwrap_or_else(|e| panic!("{e}"));

    let back =
        CaptureReader::from_reader(Cursor::new(bytes.clone())).unwrap_or_else(|e| panic!("{e}"));
    let t = &back.metadata().threads[0];
    assert_eq!(t.args.len(), 4096, "args cut to SCAP_MAX_ARGS_SIZE");
    assert_eq!(
        &t.args[..4095],
        &args[..4095],
        "the kept args are the first ones"
    );
    assert_eq!(t.args.last(), Some(&0), "a cut list still ends with a NUL");
    assert_eq!(t.env.len(), 4096);
    assert_eq!(t.cwd.len(), 1023, "paths cut below SCAP_MAX_PATH_SIZE");
    assert_eq!(t.exepath.len(), 1023);
    assert!(long_path.starts_with(&t.cwd));
    match &back.metadata().fd_lists[0].fds[0].info {
        FdInfo::FileV2 { name, .. } => assert_eq!(name.len(), 1023),
        other => panic!("fd info {other:?}"),
    }

    // The reference reader accepts the file.
    let path = std::env::temp_dir().join(format!("falco-scap-long-{}.scap", std::process::id()));
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new("sysdig")
        .arg("-r")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("sysdig is required (apt-get install sysdig): {e}"));
    assert!(
        out.status.success(),
        "sysdig -r: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
}

/// The machine, user and interface blocks of the first small reference capture, with no
/// threads or fds.
fn base_metadata() -> falco_scap::CaptureMetadata {
    let (name, path, _) = &common::small_captures()[0];
    let r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    falco_scap::CaptureMetadata {
        threads: Vec::new(),
        fd_lists: Vec::new(),
        ..r.metadata().clone()
    }
}
