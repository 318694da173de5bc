//! Block type ids and fixed sizes of the capture container (see `scap-format.md`, §3).

/// Section header block.
pub const SHB: u32 = 0x0A0D_0D0A;
/// Byte-order magic inside the section header.
pub const SHB_MAGIC: u32 = 0x1A2B_3C4D;
/// Machine info.
pub const MI: u32 = 0x201;
/// Machine info, legacy id.
pub const MI_LEGACY: u32 = 0x8002_ABCD;
/// Process list V1.
pub const PL_V1: u32 = 0x202;
/// Process list V1, legacy id.
pub const PL_V1_LEGACY: u32 = 0x8000_ABCD;
/// Process list V2.
pub const PL_V2: u32 = 0x207;
/// Process list V2, legacy id.
pub const PL_V2_LEGACY: u32 = 0x8013_ABCD;
/// Process list V3.
pub const PL_V3: u32 = 0x209;
/// Process list V3, legacy id.
pub const PL_V3_LEGACY: u32 = 0x8014_ABCD;
/// Process list V4.
pub const PL_V4: u32 = 0x210;
/// Process list V5.
pub const PL_V5: u32 = 0x211;
/// Process list V6.
pub const PL_V6: u32 = 0x212;
/// Process list V7.
pub const PL_V7: u32 = 0x213;
/// Process list V8.
pub const PL_V8: u32 = 0x214;
/// Process list V9 (current).
pub const PL_V9: u32 = 0x215;
/// Fd list V1.
pub const FDL: u32 = 0x203;
/// Fd list V1, legacy id.
pub const FDL_LEGACY: u32 = 0x8001_ABCD;
/// Fd list V2 (current).
pub const FDL_V2: u32 = 0x218;
/// Event block, V1 record.
pub const EV: u32 = 0x204;
/// Event block, V1 record, legacy id.
pub const EV_LEGACY: u32 = 0x8010_ABCD;
/// Event block with flags, V1 record.
pub const EVF: u32 = 0x208;
/// Event block, V2 record.
pub const EV_V2: u32 = 0x216;
/// Event block with flags, V2 record.
pub const EVF_V2: u32 = 0x217;
/// Event block, V2 record with u32 parameter lengths.
pub const EV_V2_LARGE: u32 = 0x221;
/// Event block with flags, V2 record with u32 parameter lengths.
pub const EVF_V2_LARGE: u32 = 0x222;
/// Interface list V1.
pub const IL: u32 = 0x205;
/// Interface list V1, legacy id.
pub const IL_LEGACY: u32 = 0x8011_ABCD;
/// Interface list V2 (current).
pub const IL_V2: u32 = 0x219;
/// User list V1.
pub const UL: u32 = 0x206;
/// User list V1, legacy id.
pub const UL_LEGACY: u32 = 0x8012_ABCD;
/// User list V2 (current).
pub const UL_V2: u32 = 0x220;

/// Block header: type and total length.
pub const BLOCK_HEADER_LEN: usize = 8;
/// Block trailer: the total length again.
pub const BLOCK_TRAILER_LEN: usize = 4;
/// Section header body without options.
pub const SHB_BODY_LEN: usize = 16;
/// Machine-info body.
pub const MI_BODY_LEN: usize = 180;

/// Largest block the reader accepts. libs limits non-large event blocks to 64 KiB; large
/// events and metadata lists can be bigger, but never this big in practice. The cap keeps a
/// corrupt length from making the reader allocate gigabytes.
pub const MAX_BLOCK_LEN: u32 = 256 << 20;

/// How an event block stores its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventBlockKind {
    /// The block carries a u32 flags word after the cpu id.
    pub has_flags: bool,
    /// The record has the old 22-byte header without `nparams`.
    pub v1: bool,
}

/// The event-block layout of a block type, or `None` for a non-event block.
pub fn event_block_kind(block_type: u32) -> Option<EventBlockKind> {
    let (has_flags, v1) = match block_type {
        EV | EV_LEGACY => (false, true),
        EVF => (true, true),
        EV_V2 | EV_V2_LARGE => (false, false),
        EVF_V2 | EVF_V2_LARGE => (true, false),
        _ => return None,
    };
    Some(EventBlockKind { has_flags, v1 })
}

/// Bytes of zero padding after a body of `body_len` bytes so the block is a multiple of 4.
pub fn padding(body_len: usize) -> usize {
    (4 - (BLOCK_HEADER_LEN + body_len + BLOCK_TRAILER_LEN) % 4) % 4
}
