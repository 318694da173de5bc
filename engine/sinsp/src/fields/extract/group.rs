//! `group.*` fields: the thread's group, named from the group list (libsinsp's `group`
//! checks).

use falco_rules::field::Value;

use super::EventContext;
use crate::fields::table::GroupField as GR;

impl EventContext<'_> {
    pub(super) fn extract_group(&self, f: GR, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let Some(t) = self.th else { return false };
        match f {
            GR::Gid => sink(Value::Uint(t.gid as u64)),
            GR::Name => {
                let Some(g) = self.st.group(t.gid) else {
                    return false;
                };
                sink(Value::Str(g.name.as_bytes()))
            }
        }
        true
    }
}
