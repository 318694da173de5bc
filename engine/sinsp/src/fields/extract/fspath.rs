//! `fs.path.*` fields: the path arguments of file system events, resolved against the cwd or
//! as given (`*raw`).

use falco_rules::field::Value;

use super::{EventContext, Scratch};
use crate::fields::args::render_param;
use crate::fields::table::FsPathField as P;

impl EventContext<'_> {
    pub(super) fn extract_fspath(&mut self, f: P, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let names: &[&str] = match f {
            P::Name | P::Nameraw => &["name", "path", "pathname", "filename"],
            P::Source | P::Sourceraw => &["oldpath", "target"],
            P::Target | P::Targetraw => &["newpath", "linkpath"],
        };
        let Some(i) = names.iter().find_map(|n| self.p.index(n)) else {
            return false;
        };
        if self.p.raw(i).is_none() {
            return false;
        }
        let raw = matches!(f, P::Nameraw | P::Sourceraw | P::Targetraw);
        let (st, tid, p) = (self.st, self.meta.tid, self.p);
        let Scratch { a, b, .. } = &mut *self.s;
        if !render_param(st, tid, &p, i, a, b) {
            return false;
        }
        sink(Value::Str(if raw || b.is_empty() { a } else { b }));
        true
    }
}
