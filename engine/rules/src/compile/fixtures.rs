//! The field catalog and event fields the unit tests of the compile modules run against.

use foldhash::HashMap;

use crate::field::{
    EventFields, FieldArg, FieldCatalog, FieldClass, FieldError, FieldType, ResolvedField, Value,
};

/// `l.x`: a list of three strings; `s.x`: one string.
pub(super) struct ListCatalog;

impl FieldCatalog for ListCatalog {
    fn resolve(&self, name: &str, _: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        Ok(ResolvedField {
            id: 0,
            name: name.to_string(),
            arg: None,
            ftype: FieldType::Charbuf,
            is_list: name == "l.x",
        })
    }
    fn classes(&self) -> &[FieldClass] {
        &[]
    }
}

/// One string (`abcdef`) for every field, three for a list field.
pub(super) struct ListFields;

impl EventFields for ListFields {
    fn extract(&mut self, f: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        if f.is_list {
            for v in [&b"file"[..], b"ipv4", b"pipe"] {
                sink(Value::Str(v));
            }
        } else {
            sink(Value::Str(b"abcdef"));
        }
        true
    }
    fn event_type(&self) -> u16 {
        0
    }
}

/// `ListFields` with a memo store for one event, counting the field extractions.
#[derive(Default)]
pub(super) struct MemoFields {
    /// Field extractions so far.
    pub(super) extracted: usize,
    memo: HashMap<u32, bool>,
}

impl EventFields for MemoFields {
    fn extract(&mut self, f: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        self.extracted += 1;
        ListFields.extract(f, sink)
    }
    fn event_type(&self) -> u16 {
        0
    }
    fn memo_get(&self, slot: u32) -> Option<bool> {
        self.memo.get(&slot).copied()
    }
    fn memo_set(&mut self, slot: u32, value: bool) {
        self.memo.insert(slot, value);
    }
}
