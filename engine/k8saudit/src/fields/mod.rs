//! The fields of the `k8s_audit` source: the k8saudit plugin's `ka.*` (`extract.rs`), the json
//! plugin's `json.*` and its `jevt.*` aliases, and the generic `evt.*` fields Falco gives every
//! plugin source. [`AuditCatalog`] resolves them for the rules compiler; [`AuditFields`]
//! extracts them from one [`AuditEvent`].
//!
//! Every `ka.*` and `json.*` field is text (`PT_CHARBUF`), some are lists, as the plugins
//! declare them; a field whose value the event does not carry has none (`<NA>`, and
//! comparisons other than `exists` fail).

mod extract;
mod table;

pub use table::{AUDIT_CLASSES, EVT_FIELDS, JSON_FIELDS, KA_FIELDS};

use crate::event::AuditEvent;
use falco_rules::field::{
    ArgSpec, EventFields, FieldArg, FieldCatalog, FieldClass, FieldError, FieldInfo, FieldType,
    ResolvedField, Value,
};
use std::borrow::Cow;

/// The event source these fields belong to.
pub const SOURCE: &str = "k8s_audit";

/// The event type id audit events carry for the rules' event-type index (libs' plugin event).
pub const PLUGIN_EVENT_TYPE: u16 = 322;

/// Resolves `ka.*`, `json.*`, `jevt.*` and the generic `evt.*` fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditCatalog;

impl AuditCatalog {
    /// The catalog.
    pub fn new() -> Self {
        AuditCatalog
    }

    /// The field named `name` and its id.
    fn find(name: &str) -> Option<(u32, &'static FieldInfo)> {
        let mut base = 0u32;
        for class in AUDIT_CLASSES {
            if let Some(i) = class.fields.iter().position(|f| f.name == name) {
                return Some((base + i as u32, &class.fields[i]));
            }
            base += class.fields.len() as u32;
        }
        None
    }
}

/// The field of id `id` (its position across [`AUDIT_CLASSES`]).
fn info_of(id: u32) -> Option<&'static FieldInfo> {
    let mut id = id as usize;
    for class in AUDIT_CLASSES {
        if id < class.fields.len() {
            return class.fields.get(id);
        }
        id -= class.fields.len();
    }
    None
}

impl FieldCatalog for AuditCatalog {
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        let (id, info) = Self::find(name).ok_or_else(|| FieldError::Unknown(name.to_string()))?;
        let bad = |reason: String| FieldError::BadArgument {
            field: info.name.to_string(),
            reason,
        };
        let arg = match (info.arg, arg) {
            (ArgSpec::None, Some(a)) => {
                return Err(bad(format!("filter syntax error: {}{a}", info.name)))
            }
            (ArgSpec::Required, None) => {
                return Err(bad(format!(
                    "the field '{}' requires an argument but ']' is not found",
                    info.name
                )))
            }
            (_, None) => None,
            // A key field given a number: the number is the key (`json.value[0]`).
            (_, Some(FieldArg::Index(i))) if !info.arg_index => Some(FieldArg::Key(i.to_string())),
            (_, Some(FieldArg::Key(k))) if !info.arg_key => match k.parse::<u64>() {
                Ok(i) => Some(FieldArg::Index(i)),
                Err(_) => return Err(bad(format!("filter syntax error: {}[{k}]", info.name))),
            },
            (_, Some(a)) => Some(a.clone()),
        };
        let shown = match &arg {
            None => info.name.to_string(),
            Some(FieldArg::Index(i)) => format!("{}[{i}]", info.name),
            Some(FieldArg::Key(k)) => format!("{}[{k}]", info.name),
        };
        Ok(ResolvedField {
            id,
            name: shown,
            arg,
            ftype: info.ftype,
            is_list: info.is_list,
        })
    }

    fn classes(&self) -> &[FieldClass] {
        AUDIT_CLASSES
    }
}

/// The fields of one audit event, for evaluation and formatting.
pub struct AuditFields<'e> {
    /// The event.
    pub event: &'e AuditEvent,
    /// Its number in the source's stream (`evt.num`), from 1.
    pub num: u64,
}

impl<'e> AuditFields<'e> {
    /// The fields of `event`, the `num`th of its stream.
    pub fn new(event: &'e AuditEvent, num: u64) -> Self {
        AuditFields { event, num }
    }

    /// The values of `field`, `None` when the event has none.
    pub fn values(&self, field: &ResolvedField) -> Option<Vec<Cow<'e, str>>> {
        let info = info_of(field.id)?;
        extract::values(self, info.name, field.arg.as_ref())
    }

    /// Renders `field` as Falco prints it in an output: a list as `(a,b)`; `false` (nothing
    /// written) when the event has no value.
    pub fn format_field(&self, field: &ResolvedField, out: &mut String) -> bool {
        let Some(values) = self.values(field) else {
            return false;
        };
        if field.is_list {
            out.push('(');
            out.push_str(&values.join(","));
            out.push(')');
            return true;
        }
        match values.first() {
            Some(v) => {
                out.push_str(v);
                true
            }
            None => false,
        }
    }
}

impl EventFields for AuditFields<'_> {
    fn extract(&mut self, field: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let Some(info) = info_of(field.id) else {
            return false;
        };
        if info.ftype == FieldType::Uint64 {
            return match extract::number(self, info.name) {
                Some(n) => {
                    sink(Value::Uint(n));
                    true
                }
                None => false,
            };
        }
        match extract::values(self, info.name, field.arg.as_ref()) {
            Some(values) => {
                for v in &values {
                    sink(Value::Str(v.as_bytes()));
                }
                true
            }
            None => false,
        }
    }

    fn event_type(&self) -> u16 {
        PLUGIN_EVENT_TYPE
    }
}

#[cfg(test)]
mod tests;
