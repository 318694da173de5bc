//! A thread or an fd listed again in a later metadata block replaces its entry instead of
//! adding one (issue #21 item 7: the metadata grows with the threads, not with the blocks).

use falco_scap::block;
use falco_scap::CaptureReader;

fn push_block(out: &mut Vec<u8>, bt: u32, body: &[u8]) {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    out.extend_from_slice(&bt.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out.extend(std::iter::repeat_n(0u8, pad));
    out.extend_from_slice(&len.to_le_bytes());
}

fn lstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_le_bytes());
    out.extend_from_slice(s);
}

/// A version-1 thread entry.
fn thread(tid: u64, comm: &str) -> Vec<u8> {
    let mut e = Vec::new();
    for v in [tid, tid, 1] {
        e.extend_from_slice(&v.to_le_bytes());
    }
    for s in [comm.as_bytes(), b"e", b"", b"/"] {
        lstr(&mut e, s);
    }
    e.extend_from_slice(&1024u64.to_le_bytes());
    e.extend_from_slice(&[0u8; 12]);
    e
}

/// A version-1 fd list of `tid` with file fds named after `tag`.
fn fds(tid: u64, list: &[i64], tag: &str) -> Vec<u8> {
    let mut b = tid.to_le_bytes().to_vec();
    for &fd in list {
        b.extend_from_slice(&fd.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.push(1); // SCAP_FD_FILE: a name follows
        lstr(&mut b, format!("/{tag}/{fd}").as_bytes());
    }
    b
}

#[test]
fn later_listings_replace_earlier_ones() {
    let mut cap = Vec::new();
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    push_block(&mut cap, block::SHB, &shb);
    let first: Vec<u8> = [thread(1, "a"), thread(2, "b")].concat();
    let second: Vec<u8> = [thread(2, "b2"), thread(3, "c")].concat();
    push_block(&mut cap, block::PL_V1, &first);
    push_block(&mut cap, block::PL_V1, &second);
    push_block(&mut cap, block::FDL, &fds(2, &[0, 1], "old"));
    push_block(&mut cap, block::FDL, &fds(2, &[1, 5], "new"));
    let mut r = CaptureReader::from_reader(std::io::Cursor::new(cap)).expect("reads");
    assert!(r.next_event().expect("no error").is_none());
    let meta = r.metadata();
    let threads: Vec<(u64, &str)> = meta
        .threads
        .iter()
        .map(|t| (t.tid, t.comm.as_str()))
        .collect();
    assert_eq!(threads, [(1, "a"), (2, "b2"), (3, "c")]);
    assert_eq!(meta.fd_lists.len(), 1);
    let list: Vec<i64> = meta.fd_lists[0].fds.iter().map(|e| e.fd).collect();
    assert_eq!(list, [0, 1, 5]);
    let taken = r.take_metadata();
    assert_eq!(taken.threads.len(), 3);
    assert!(r.metadata().threads.is_empty());
}
