//! Every block version the reader accepts, built by hand from the format description
//! (`scap-format.md`): process lists V1..V9 (with legacy ids), fd lists V1/V2 with each fd
//! type, interface and user lists V1/V2, EV/EVF v1 and v2, LARGE blocks, SHB options and
//! unknown blocks. One table of cases, one helper.

use std::io::Cursor;

use falco_scap::{block, CaptureReader, FdInfo, IfAddr, ThreadEntry};

fn blk(bt: u32, body: &[u8]) -> Vec<u8> {
    let pad = block::padding(body.len());
    let total = (12 + body.len() + pad) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(&bt.to_le_bytes());
    v.extend_from_slice(&total.to_le_bytes());
    v.extend_from_slice(body);
    v.resize(v.len() + pad, 0);
    v.extend_from_slice(&total.to_le_bytes());
    v
}

fn shb(options: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&block::SHB_MAGIC.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(options);
    blk(block::SHB, &b)
}

fn s16(v: &mut Vec<u8>, s: &[u8]) {
    v.extend_from_slice(&(s.len() as u16).to_le_bytes());
    v.extend_from_slice(s);
}

/// One thread entry of process-list version `ver`, fields as the format table lists them.
fn thread(ver: u8) -> Vec<u8> {
    let mut e = Vec::new();
    for x in [100u64, 99, 1] {
        e.extend_from_slice(&x.to_le_bytes());
    }
    if ver >= 6 {
        e.extend_from_slice(&7u64.to_le_bytes()); // sid
    }
    if ver >= 8 {
        e.extend_from_slice(&8u64.to_le_bytes()); // vpgid
    }
    s16(&mut e, b"bash");
    s16(&mut e, b"/bin/bash");
    if ver >= 7 {
        s16(&mut e, b"/usr/bin/bash");
    }
    s16(&mut e, b"-c\0ls\0");
    s16(&mut e, b"/root");
    e.extend_from_slice(&1024u64.to_le_bytes());
    for x in [0x10u32, 1000, 1001] {
        e.extend_from_slice(&x.to_le_bytes());
    }
    if ver >= 2 {
        for x in [11u32, 12, 13] {
            e.extend_from_slice(&x.to_le_bytes());
        }
        e.extend_from_slice(&14u64.to_le_bytes());
        e.extend_from_slice(&15u64.to_le_bytes());
    }
    if ver >= 3 {
        s16(&mut e, b"HOME=/root\0");
    }
    if ver >= 4 {
        e.extend_from_slice(&5i64.to_le_bytes());
        e.extend_from_slice(&6i64.to_le_bytes());
        s16(&mut e, b"cpu=/\0");
    }
    if ver >= 5 {
        s16(&mut e, b"/");
    }
    if ver >= 9 {
        // libs >= 0.10 layout: pidns_init_start_ts and tty before the pre-0.10 tail.
        e.extend_from_slice(&77u64.to_le_bytes()); // pidns_init_start_ts
        e.extend_from_slice(&34816u32.to_le_bytes()); // tty
        e.extend_from_slice(&pre_0_10_tail());
        return with_entry_len(e);
    }
    e
}

/// The tail a libs < 0.10 writer (sysdig 0.29) puts after root: loginuid, exe_writable and
/// the three capability sets, 29 bytes.
fn pre_0_10_tail() -> Vec<u8> {
    let mut t = 4242u32.to_le_bytes().to_vec(); // loginuid
    t.push(1); // exe_writable
    for c in [1u64, 2, 3] {
        t.extend_from_slice(&c.to_le_bytes()); // cap_inheritable, cap_permitted, cap_effective
    }
    t
}

fn with_entry_len(e: Vec<u8>) -> Vec<u8> {
    let mut with_len = ((e.len() + 4) as u32).to_le_bytes().to_vec();
    with_len.extend_from_slice(&e);
    with_len
}

fn expected_thread(ver: u8) -> ThreadEntry {
    let mut t = ThreadEntry {
        tid: 100,
        pid: 99,
        ptid: 1,
        comm: "bash".into(),
        exe: "/bin/bash".into(),
        args: b"-c\0ls\0".to_vec(),
        cwd: "/root".into(),
        fdlimit: 1024,
        flags: 0x10,
        uid: 1000,
        gid: 1001,
        ..ThreadEntry::default()
    };
    if ver >= 2 {
        (t.vmsize_kb, t.vmrss_kb, t.vmswap_kb, t.pfmajor, t.pfminor) = (11, 12, 13, 14, 15);
    }
    if ver >= 3 {
        t.env = b"HOME=/root\0".to_vec();
    }
    if ver >= 4 {
        (t.vtid, t.vpid, t.cgroups) = (5, 6, b"cpu=/\0".to_vec());
    }
    if ver >= 5 {
        t.root = "/".into();
    }
    if ver >= 6 {
        t.sid = 7;
    }
    if ver >= 7 {
        t.exepath = "/usr/bin/bash".into();
    }
    if ver >= 8 {
        t.vpgid = 8;
    }
    if ver >= 9 {
        (t.pidns_init_start_ts, t.tty) = (77, 34816);
        (t.loginuid, t.exe_writable) = (4242, true);
        (t.cap_inheritable, t.cap_permitted, t.cap_effective) = (1, 2, 3);
    }
    t
}

/// A v1 (22-byte header) record.
fn v1_record(evtype: u16, params: &[&[u8]]) -> Vec<u8> {
    let len = 22 + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
    let mut r = Vec::new();
    r.extend_from_slice(&5u64.to_le_bytes());
    r.extend_from_slice(&100u64.to_le_bytes());
    r.extend_from_slice(&(len as u32).to_le_bytes());
    r.extend_from_slice(&evtype.to_le_bytes());
    for p in params {
        r.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        r.extend_from_slice(p);
    }
    r
}

fn v2_record(evtype: u16, params: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![0u8; 1 << 17];
    let n = ringbuf_abi::encode_record(&mut b, 5, 100, evtype, params)
        .unwrap_or_else(|e| panic!("{e}"));
    b.truncate(n);
    b
}

fn read(bytes: Vec<u8>) -> (falco_scap::CaptureMetadata, Vec<(u16, u32, Vec<u8>)>) {
    let mut r = CaptureReader::from_reader(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    let mut evs = Vec::new();
    while let Some(ev) = r.next_event().unwrap_or_else(|e| panic!("{e}")) {
        evs.push((ev.cpu, ev.flags, ev.record.as_bytes().to_vec()));
    }
    (r.metadata().clone(), evs)
}

#[test]
fn process_list_every_version_and_legacy_id() {
    let ids: &[(u8, &[u32])] = &[
        (1, &[block::PL_V1, block::PL_V1_LEGACY]),
        (2, &[block::PL_V2, block::PL_V2_LEGACY]),
        (3, &[block::PL_V3, block::PL_V3_LEGACY]),
        (4, &[block::PL_V4]),
        (5, &[block::PL_V5]),
        (6, &[block::PL_V6]),
        (7, &[block::PL_V7]),
        (8, &[block::PL_V8]),
        (9, &[block::PL_V9]),
    ];
    for (ver, bts) in ids {
        for &bt in *bts {
            let mut body = thread(*ver);
            body.extend_from_slice(&thread(*ver));
            let mut f = shb(&[]);
            f.extend_from_slice(&blk(bt, &body));
            let (meta, _) = read(f);
            // Both entries are read; the second lists the same thread again and replaces the
            // first.
            assert_eq!(
                meta.threads,
                vec![expected_thread(*ver)],
                "PL v{ver} 0x{bt:x}"
            );
        }
    }
}

/// A V9 entry written before libs 0.10 has no pidns_init_start_ts or tty: libscap tells it
/// apart by the 29 bytes or fewer left after root, and so must we (sysdig 0.29's captures).
#[test]
fn process_list_v9_before_libs_0_10() {
    let full = thread(9);
    // Drop the entry length, pidns_init_start_ts (8) and tty (4), keep the 29-byte tail.
    let body_end = full.len() - 29;
    let mut e = full[4..body_end - 12].to_vec();
    e.extend_from_slice(&pre_0_10_tail());
    let mut f = shb(&[]);
    f.extend_from_slice(&blk(block::PL_V9, &with_entry_len(e)));
    let (meta, _) = read(f);
    let mut want = expected_thread(9);
    (want.pidns_init_start_ts, want.tty) = (0, 0);
    assert_eq!(meta.threads, vec![want]);
}

#[test]
fn fd_lists_v1_and_v2_every_type() {
    let named = [1u8, 2, 7, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21];
    for v2 in [false, true] {
        let mut body = 42u64.to_le_bytes().to_vec();
        let mut want = Vec::new();
        let mut entry = |fd: i64, ty: u8, info: Vec<u8>, expect: FdInfo| {
            let mut e = fd.to_le_bytes().to_vec();
            e.extend_from_slice(&9u64.to_le_bytes());
            e.push(ty);
            e.extend_from_slice(&info);
            if v2 {
                body.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            }
            body.extend_from_slice(&e);
            want.push((fd, ty, expect));
        };
        let mut v4 = Vec::new();
        v4.extend_from_slice(&0x0100007fu32.to_le_bytes());
        v4.extend_from_slice(&0x0200007fu32.to_le_bytes());
        v4.extend_from_slice(&80u16.to_le_bytes());
        v4.extend_from_slice(&8080u16.to_le_bytes());
        v4.push(6);
        entry(
            3,
            3,
            v4,
            FdInfo::Ipv4Socket {
                sip: 0x0100007f,
                dip: 0x0200007f,
                sport: 80,
                dport: 8080,
                l4proto: 6,
            },
        );
        let mut v6 = [1u8; 16].to_vec();
        v6.extend_from_slice(&[2u8; 16]);
        v6.extend_from_slice(&1u16.to_le_bytes());
        v6.extend_from_slice(&2u16.to_le_bytes());
        v6.push(17);
        entry(
            4,
            4,
            v6,
            FdInfo::Ipv6Socket {
                sip: [1; 16],
                dip: [2; 16],
                sport: 1,
                dport: 2,
                l4proto: 17,
            },
        );
        let mut s4 = 5u32.to_le_bytes().to_vec();
        s4.extend_from_slice(&22u16.to_le_bytes());
        s4.push(6);
        entry(
            5,
            5,
            s4,
            FdInfo::Ipv4ServerSocket {
                ip: 5,
                port: 22,
                l4proto: 6,
            },
        );
        let mut s6 = [3u8; 16].to_vec();
        s6.extend_from_slice(&443u16.to_le_bytes());
        s6.push(6);
        entry(
            6,
            6,
            s6,
            FdInfo::Ipv6ServerSocket {
                ip: [3; 16],
                port: 443,
                l4proto: 6,
            },
        );
        let mut un = 0xaau64.to_le_bytes().to_vec();
        un.extend_from_slice(&0xbbu64.to_le_bytes());
        s16(&mut un, b"/run/sock");
        entry(
            8,
            8,
            un,
            FdInfo::UnixSocket {
                source: 0xaa,
                dest: 0xbb,
                path: "/run/sock".into(),
            },
        );
        let mut f2 = 0o2u32.to_le_bytes().to_vec();
        s16(&mut f2, b"/etc/passwd");
        if v2 {
            f2.extend_from_slice(&0x803u32.to_le_bytes());
        }
        let dev = if v2 { Some(0x803) } else { None };
        entry(
            16,
            16,
            f2,
            FdInfo::FileV2 {
                open_flags: 2,
                name: "/etc/passwd".into(),
                dev,
            },
        );
        for (i, ty) in named.iter().enumerate() {
            let mut n = Vec::new();
            s16(&mut n, format!("name{ty}").as_bytes());
            entry(
                100 + i as i64,
                *ty,
                n,
                FdInfo::Named {
                    name: format!("name{ty}"),
                },
            );
        }
        if v2 {
            // An fd type newer than this reader: kept raw thanks to the entry length.
            entry(
                200,
                99,
                vec![1, 2, 3],
                FdInfo::Unknown { raw: vec![1, 2, 3] },
            );
        }
        let bt = if v2 { block::FDL_V2 } else { block::FDL };
        let mut f = shb(&[]);
        f.extend_from_slice(&blk(bt, &body));
        if !v2 {
            // The same fds for another thread (a list of the same thread would merge).
            let mut legacy = body.clone();
            legacy[..8].copy_from_slice(&43u64.to_le_bytes());
            f.extend_from_slice(&blk(block::FDL_LEGACY, &legacy));
        }
        let (meta, _) = read(f);
        let got: Vec<_> = meta.fd_lists[0]
            .fds
            .iter()
            .map(|e| (e.fd, e.fd_type, e.info.clone()))
            .collect();
        assert_eq!(meta.fd_lists[0].tid, 42);
        assert_eq!(got, want, "v2={v2}");
        assert_eq!(meta.fd_lists.len(), if v2 { 1 } else { 2 });
        if !v2 {
            assert_eq!(meta.fd_lists[1].tid, 43);
            assert_eq!(meta.fd_lists[1].fds, meta.fd_lists[0].fds);
        }
    }
}

#[test]
fn interface_and_user_lists_v1_and_v2() {
    for v2 in [false, true] {
        let mut il = Vec::new();
        let mut e4 = 1u16.to_le_bytes().to_vec();
        e4.extend_from_slice(&2u16.to_le_bytes());
        for x in [1u32, 2, 3] {
            e4.extend_from_slice(&x.to_le_bytes());
        }
        e4.extend_from_slice(&1000u64.to_le_bytes());
        e4.extend_from_slice(b"lo");
        let mut e6 = 4u16.to_le_bytes().to_vec();
        e6.extend_from_slice(&4u16.to_le_bytes());
        for x in [7u8, 8, 9] {
            e6.extend_from_slice(&[x; 16]);
        }
        e6.extend_from_slice(b"eth0");
        for e in [e4, e6] {
            if v2 {
                il.extend_from_slice(&(e.len() as u32).to_le_bytes());
            }
            il.extend_from_slice(&e);
        }
        let mut ul = Vec::new();
        let mut u = vec![0u8];
        u.extend_from_slice(&0u32.to_le_bytes());
        u.extend_from_slice(&0u32.to_le_bytes());
        s16(&mut u, b"root");
        s16(&mut u, b"/root");
        s16(&mut u, b"/bin/sh");
        let mut g = vec![1u8];
        g.extend_from_slice(&27u32.to_le_bytes());
        s16(&mut g, b"sudo");
        for e in [u, g] {
            if v2 {
                ul.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            }
            ul.extend_from_slice(&e);
        }
        let (ilb, ulb) = if v2 {
            (block::IL_V2, block::UL_V2)
        } else {
            (block::IL_LEGACY, block::UL_LEGACY)
        };
        let mut f = shb(&[]);
        f.extend_from_slice(&blk(ilb, &il));
        f.extend_from_slice(&blk(ulb, &ul));
        let (meta, _) = read(f);
        assert_eq!(meta.interfaces.len(), 2);
        assert_eq!(meta.interfaces[0].name, "lo");
        assert_eq!(
            meta.interfaces[0].addr,
            IfAddr::V4 {
                addr: 1,
                netmask: 2,
                bcast: 3
            }
        );
        assert_eq!(meta.interfaces[0].linkspeed, Some(1000));
        assert_eq!(meta.interfaces[1].name, "eth0");
        assert_eq!(meta.interfaces[1].linkspeed, None);
        assert_eq!(meta.users.len(), 1);
        assert_eq!(
            (meta.users[0].name.as_str(), meta.users[0].shell.as_str()),
            ("root", "/bin/sh")
        );
        assert_eq!(
            (meta.groups[0].gid, meta.groups[0].name.as_str()),
            (27, "sudo")
        );
    }
}

#[test]
fn event_blocks_every_kind() {
    let open_x = ringbuf_abi::ids::PPME_SYSCALL_OPEN_X;
    let params: [&[u8]; 4] = [
        &3i64.to_le_bytes(),
        b"/etc/hosts\0",
        &0u32.to_le_bytes(),
        &0u32.to_le_bytes(),
    ];
    let v2 = v2_record(open_x, &params);
    let v1 = v1_record(open_x, &params);
    let large = ringbuf_abi::ids::PPME_PLUGINEVENT_E;
    let big = vec![7u8; 70_000];
    let large_rec = v2_record(large, &[&1u32.to_le_bytes(), &big]);
    let with = |cpu: u16, flags: Option<u32>, rec: &[u8], trailing: &[u8]| {
        let mut b = cpu.to_le_bytes().to_vec();
        if let Some(f) = flags {
            b.extend_from_slice(&f.to_le_bytes());
        }
        b.extend_from_slice(rec);
        b.extend_from_slice(trailing);
        b
    };
    // pcapng-style options after the record (as editors append): ignored.
    let comment = [1u8, 0, 4, 0, b'h', b'i', b'!', 0];
    let cases: Vec<(u32, Vec<u8>, (u16, u32))> = vec![
        (block::EV_V2, with(1, None, &v2, &[]), (1, 0)),
        (block::EV_V2, with(2, None, &v2, &comment), (2, 0)),
        (block::EVF_V2, with(3, Some(1), &v2, &[]), (3, 1)),
        (block::EV, with(4, None, &v1, &[]), (4, 0)),
        (block::EV_LEGACY, with(5, None, &v1, &[]), (5, 0)),
        (block::EVF, with(6, Some(1), &v1, &[]), (6, 1)),
        (block::EV_V2_LARGE, with(7, None, &large_rec, &[]), (7, 0)),
        (
            block::EVF_V2_LARGE,
            with(8, Some(1), &large_rec, &[]),
            (8, 1),
        ),
    ];
    let mut f = shb(&[1, 0, 4, 0, b'a', b'b', b'c', 0, 0, 0, 0, 0]);
    f.extend_from_slice(&blk(0x7777, b"unknown block, skipped"));
    for (bt, body, _) in &cases {
        f.extend_from_slice(&blk(*bt, body));
    }
    let (meta, evs) = read(f);
    assert_eq!(meta.skipped_blocks, 1);
    assert_eq!(evs.len(), cases.len());
    for ((bt, _, (cpu, flags)), (gcpu, gflags, rec)) in cases.iter().zip(&evs) {
        assert_eq!((gcpu, gflags), (cpu, flags), "block 0x{bt:x}");
        let want = if matches!(*bt, block::EV_V2_LARGE | block::EVF_V2_LARGE) {
            &large_rec
        } else {
            // V1 records come out in the V2 layout, identical to the V2 encoding.
            &v2
        };
        assert_eq!(rec, want, "block 0x{bt:x}");
    }
}

#[test]
fn v1_records_with_fewer_params_than_the_table() {
    // An old open exit with only 3 of today's 6 parameters: nparams is inferred as 3.
    let open_x = ringbuf_abi::ids::PPME_SYSCALL_OPEN_X;
    let params: [&[u8]; 3] = [&3i64.to_le_bytes(), b"/x\0", &0u32.to_le_bytes()];
    let mut f = shb(&[]);
    let mut body = 0u16.to_le_bytes().to_vec();
    body.extend_from_slice(&v1_record(open_x, &params));
    f.extend_from_slice(&blk(block::EV, &body));
    let (_, evs) = read(f);
    assert_eq!(evs[0].2, v2_record(open_x, &params));
}
