//! `container.*` fields: what the thread's container id and type say; the rest needs
//! runtime metadata, which this engine does not collect (libsinsp's `container` checks).

use falco_rules::field::Value;

use super::EventContext;
use crate::fields::table::ContainerField as C;

impl EventContext<'_> {
    pub(super) fn extract_container(&self, f: C, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let Some(t) = self.th else { return false };
        let on_host = t.container_id.is_empty() || t.container_id == "host";
        match f {
            C::Id => sink(Value::Str(t.container_id.as_bytes())),
            // libsinsp answers `host` for threads outside containers; a container's
            // name needs runtime metadata, which we do not have.
            C::Name if on_host => sink(Value::Str(b"host")),
            C::Type if !on_host => sink(Value::Str(t.container_type.as_bytes())),
            C::Privileged | C::HostPid | C::HostNetwork | C::HostIpc => return false,
            _ => return false,
        }
        true
    }
}
