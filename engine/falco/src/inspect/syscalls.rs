//! Event names as `evt.type` prints them. Generic events (`syscall`, ids 0/1) carry a syscall
//! code instead of their own id; it is resolved with [`GENERIC_SYSCALL_NAMES`].

use std::borrow::Cow;

use ringbuf_abi::{EventInfo, Record};

/// The name printed for an event: the table name, or for generic events the name of the
/// syscall code in their first parameter.
pub fn event_name<'a>(rec: &Record<'_>, info: Option<&'a EventInfo>) -> Cow<'a, str> {
    let Some(info) = info else {
        return Cow::Borrowed("<unknown>");
    };
    if rec.evtype() > 1 {
        return Cow::Borrowed(info.name);
    }
    let id = rec
        .param(0)
        .and_then(|v| <[u8; 2]>::try_from(v).ok())
        .map(u16::from_le_bytes);
    match id.and_then(|i| GENERIC_SYSCALL_NAMES.get(i as usize)) {
        Some(&n) if !n.is_empty() => Cow::Borrowed(n),
        _ => Cow::Borrowed("<unknown>"),
    }
}

pub use falco_sinsp::fields::generic::GENERIC_SYSCALL_NAMES;
