//! Name resolution: `proc.aname[2]`, `evt.arg.name`, `thread.cgroup.cpuacct` to a field id.

use std::collections::HashMap;

use falco_rules::field::{ArgSpec, FieldArg, FieldCatalog, FieldClass, FieldError, ResolvedField};

use super::table::{FieldId, CLASSES};

/// The catalog of Falco's syscall fields (`evt`, `process`, `user`, `group`, `container`,
/// `fd`, `fs.path`, `fdlist`, `k8s` classes). Immutable once built; share it by reference.
pub struct SyscallCatalog {
    by_name: HashMap<&'static str, FieldId>,
}

impl Default for SyscallCatalog {
    fn default() -> Self {
        Self::new()
    }
}

impl SyscallCatalog {
    /// Builds the name index over [`CLASSES`].
    pub fn new() -> SyscallCatalog {
        let mut by_name = HashMap::new();
        for (c, class) in CLASSES.iter().enumerate() {
            for (r, info) in class.fields.iter().enumerate() {
                if let Some(id) = FieldId::from_parts(c, r) {
                    by_name.insert(info.name, id);
                }
            }
        }
        SyscallCatalog { by_name }
    }

    /// Looks up a field by its exact name, without argument handling.
    pub fn field(&self, name: &str) -> Option<FieldId> {
        self.by_name.get(name).copied()
    }

    /// Splits `evt.arg.name`-style names into the field and its key, trying the shortest
    /// prefix that names a field taking a key argument.
    fn split_dotted<'n>(&self, name: &'n str) -> Option<(FieldId, &'n str)> {
        let mut from = 0;
        while let Some(pos) = name[from..].find('.') {
            let at = from + pos;
            if let Some(id) = self.field(&name[..at]) {
                let key = &name[at + 1..];
                if id.info().arg_key && !key.is_empty() {
                    return Some((id, key));
                }
            }
            from = at + 1;
        }
        None
    }
}

/// Fields whose key argument is written after a dot (`evt.arg.fd`), so the resolved name
/// (the output_fields key) keeps that spelling.
fn dotted_key(id: FieldId) -> bool {
    use super::table::{EvtField, ProcField};
    matches!(
        id,
        FieldId::Evt(EvtField::Arg)
            | FieldId::Evt(EvtField::Rawarg)
            | FieldId::Evt(EvtField::TypeIs)
            | FieldId::Evt(EvtField::AbsPath)
            | FieldId::Proc(ProcField::Cgroup)
    )
}

/// The type of `evt.rawarg.NAME`, as libs gives it when it parses the field: the type of
/// the first parameter called `name` in the event table (`res` is an errno, so
/// `evt.rawarg.res < 0` compares numbers).
fn rawarg_type(name: &str) -> Option<falco_rules::field::FieldType> {
    ringbuf_abi::EVENT_TABLE
        .iter()
        .flat_map(|e| e.params.iter())
        .find(|p| p.name == name)
        .map(|p| p.ptype)
}

impl FieldCatalog for SyscallCatalog {
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        let (id, arg) = match (self.field(name), arg) {
            (Some(id), arg) => (id, arg.cloned()),
            (None, None) => match self.split_dotted(name) {
                Some((id, key)) => (id, Some(FieldArg::Key(key.to_string()))),
                None => return Err(FieldError::Unknown(name.to_string())),
            },
            (None, Some(_)) => return Err(FieldError::Unknown(name.to_string())),
        };
        let info = id.info();
        let bad = |reason: String| FieldError::BadArgument {
            field: info.name.to_string(),
            reason,
        };
        let arg = match (info.arg, arg) {
            (ArgSpec::None, Some(a)) => {
                return Err(bad(format!("filter syntax error: {}{a}", info.name)));
            }
            (ArgSpec::Required, None) => {
                return Err(bad(format!(
                    "the field '{}' requires an argument but ']' is not found",
                    info.name
                )));
            }
            (_, None) => None,
            (_, Some(FieldArg::Index(i))) if !info.arg_index => {
                // A key-only field given a number: the number is the key (`thread.cgroup[1]`).
                Some(FieldArg::Key(i.to_string()))
            }
            (_, Some(FieldArg::Key(k))) if !info.arg_key => match k.parse::<u64>() {
                Ok(i) => Some(FieldArg::Index(i)),
                Err(_) => {
                    return Err(bad(format!("filter syntax error: {}[{k}]", info.name)));
                }
            },
            (_, Some(a)) => Some(a),
        };
        let shown = match &arg {
            None => info.name.to_string(),
            Some(FieldArg::Index(i)) => format!("{}[{i}]", info.name),
            Some(FieldArg::Key(k)) if dotted_key(id) => format!("{}.{k}", info.name),
            Some(FieldArg::Key(k)) => format!("{}[{k}]", info.name),
        };
        let ftype = match (&arg, id) {
            (Some(FieldArg::Key(k)), FieldId::Evt(super::table::EvtField::Rawarg)) => {
                rawarg_type(k).ok_or_else(|| bad(format!("unknown event argument {k}")))?
            }
            _ => info.ftype,
        };
        // Ancestor fields without an argument match any ancestor: several values.
        let is_list = info.is_list
            || (info.arg == ArgSpec::Optional && info.arg_index && !info.arg_key && arg.is_none());
        Ok(ResolvedField {
            id: id.raw(),
            name: shown,
            arg,
            ftype,
            is_list,
        })
    }

    fn classes(&self) -> &[FieldClass] {
        CLASSES
    }
}
