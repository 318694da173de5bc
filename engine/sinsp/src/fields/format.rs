//! Field values printed as Falco prints them: `%field` in text outputs and the typed values
//! of JSON `output_fields`.

use std::fmt::Write;

use falco_rules::field::{EventFields, FieldType, ResolvedField, Value};

use super::extract::EventContext;
use super::table::{FieldId, GenField};

/// A field value for JSON `output_fields`: numbers for numeric fields, booleans for
/// `PT_BOOL`, strings otherwise, `Null` when the field has no value.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    /// No value (`null`; the text output shows `<NA>`).
    Null,
    /// A signed number.
    Int(i64),
    /// An unsigned number.
    Uint(u64),
    /// A floating-point number.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Str(String),
}

impl JsonValue {
    /// Writes the value as a JSON literal (strings quoted and escaped).
    pub fn write_json(&self, out: &mut String) {
        match self {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Int(v) => {
                let _ = write!(out, "{v}");
            }
            JsonValue::Uint(v) => {
                let _ = write!(out, "{v}");
            }
            JsonValue::Double(v) => {
                let _ = write!(out, "{v}");
            }
            JsonValue::Bool(v) => out.push_str(if *v { "true" } else { "false" }),
            JsonValue::Str(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if (c as u32) < 0x20 => {
                            let _ = write!(out, "\\u{:04x}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
        }
    }
}

/// Appends one value as Falco prints it in text.
pub fn format_value(v: &Value<'_>, out: &mut String) {
    match *v {
        Value::Str(s) => out.push_str(&String::from_utf8_lossy(s)),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Double(d) => {
            let _ = write!(out, "{d:.2}");
        }
        Value::Ipv4(a) => {
            let _ = write!(out, "{}", std::net::Ipv4Addr::from(a));
        }
        Value::Ipv6(a) => {
            let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
        }
    }
}

fn is_numeric(t: FieldType) -> bool {
    use FieldType::*;
    matches!(
        t,
        Int8 | Int16
            | Int32
            | Int64
            | Uint8
            | Uint16
            | Uint32
            | Uint64
            | Errno
            | Fd
            | Pid
            | Reltime
            | Abstime
            | Port
            | Uid
            | Gid
            | Syscallid
            | Sigtype
            | Flags8
            | Flags16
            | Flags32
            | Mode
            | Fd32
            | Pid32
    )
}

impl EventContext<'_> {
    /// Appends the value of `field` as Falco prints it after `%field` in a text output.
    /// Returns false and appends nothing when the field has no value: the caller prints
    /// `<NA>`. List values print as `(a,b)`; `evt.time` prints as a time of day.
    pub fn format_field(&mut self, field: &ResolvedField, out: &mut String) -> bool {
        if FieldId::from_raw(field.id) == Some(FieldId::Gen(GenField::Time)) {
            let mut v = Vec::new();
            super::time::write_time(&mut v, self.event_ts(), true);
            out.push_str(&String::from_utf8_lossy(&v));
            return true;
        }
        let start = out.len();
        let mut n = 0usize;
        let list = field.is_list;
        let ok = self.extract(field, &mut |v| {
            if n > 0 {
                out.push(',');
            }
            format_value(&v, out);
            n += 1;
        });
        if !ok || n == 0 {
            out.truncate(start);
            return false;
        }
        if list {
            out.insert(start, '(');
            out.push(')');
        }
        true
    }

    /// The value of `field` for JSON `output_fields` (typed as Falco types it).
    pub fn json_field(&mut self, field: &ResolvedField) -> JsonValue {
        let numeric = is_numeric(field.ftype) && !field.is_list;
        let mut text = String::new();
        let mut first: Option<JsonValue> = None;
        let ok = self.extract(field, &mut |v| {
            if first.is_none() && numeric {
                first = Some(match v {
                    Value::Int(i) => JsonValue::Int(i),
                    Value::Uint(u) => JsonValue::Uint(u),
                    _ => JsonValue::Null,
                });
            } else if first.is_none() && field.ftype == FieldType::Bool {
                if let Value::Bool(b) = v {
                    first = Some(JsonValue::Bool(b));
                }
            } else if first.is_none() && field.ftype == FieldType::Double {
                if let Value::Double(d) = v {
                    first = Some(JsonValue::Double(d));
                }
            }
            if !text.is_empty() {
                text.push(',');
            }
            format_value(&v, &mut text);
        });
        if !ok {
            return JsonValue::Null;
        }
        match first {
            Some(JsonValue::Null) | None => JsonValue::Str(text),
            Some(v) => v,
        }
    }
}
