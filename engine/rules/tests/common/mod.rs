//! Test doubles: a permissive field catalog (until falco-sinsp's real one is used) and mock
//! event fields for the `c.*` fields of libs' compiler tests.
#![allow(dead_code)]

use falco_rules::field::{
    EventFields, FieldArg, FieldCatalog, FieldClass, FieldError, FieldType, ResolvedField, Value,
};

/// Resolves any dotted name as a string field, except a few typed ones used in tests.
pub struct PermissiveCatalog;

impl FieldCatalog for PermissiveCatalog {
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        const CLASSES: &[&str] = &[
            "evt",
            "proc",
            "thread",
            "fd",
            "fs",
            "user",
            "group",
            "container",
            "k8s",
            "ka",
            "c",
            "span",
            "fdlist",
            "syslog",
        ];
        let class = name.split('.').next().unwrap_or("");
        if !name.contains('.') || !CLASSES.contains(&class) || name == "proc.nme" {
            return Err(FieldError::Unknown(name.to_string()));
        }
        let ftype = match name {
            "proc.pid" | "thread.cpu" | "evt.num" | "fd.num" => FieldType::Int64,
            "evt.is_io" => FieldType::Bool,
            "evt.buffer" | "evt.arg.data" | "c.buffer" => FieldType::Bytebuf,
            "fd.ip" => FieldType::Ipaddr,
            "fd.net" => FieldType::Ipnet,
            _ => FieldType::Charbuf,
        };
        let id = name
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
        Ok(ResolvedField {
            id,
            name: name.to_string(),
            arg: arg.cloned(),
            ftype,
            is_list: false,
        })
    }

    fn classes(&self) -> &[FieldClass] {
        &[]
    }
}

/// `c.true` yields "1" (so `c.true=1` holds), `c.false` has no value, `c.singlequote` and
/// `c.doublequote` yield libs' test strings.
pub struct MockFields;

impl EventFields for MockFields {
    fn extract(&mut self, field: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        match field.name.as_str() {
            "c.true" => sink(Value::Str(b"1")),
            "c.singlequote" => sink(Value::Str(b"hello 'quoted'")),
            "c.doublequote" => sink(Value::Str(b"hello \"quoted\"")),
            _ => return false,
        }
        true
    }

    fn event_type(&self) -> u16 {
        0
    }
}
