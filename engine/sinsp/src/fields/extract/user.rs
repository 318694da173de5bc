//! `user.*` fields: the thread's user and login user, named from the user list (libsinsp's
//! `user` checks).

use falco_rules::field::Value;

use super::EventContext;
use crate::fields::table::UserField as U;

impl EventContext<'_> {
    pub(super) fn extract_user(&self, f: U, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let Some(t) = self.th else { return false };
        let st = self.st;
        match f {
            U::Uid => sink(Value::Uint(t.uid as u64)),
            U::Loginuid => sink(Value::Int(if t.loginuid == u32::MAX {
                -1
            } else {
                t.loginuid as i64
            })),
            U::Name | U::Homedir | U::Shell => {
                let Some(u) = st.user(t.uid) else {
                    return false;
                };
                let v = match f {
                    U::Name => &u.name,
                    U::Homedir => &u.homedir,
                    _ => &u.shell,
                };
                sink(Value::Str(v.as_bytes()))
            }
            U::Loginname => {
                if t.loginuid == u32::MAX {
                    return false;
                }
                let Some(u) = st.user(t.loginuid) else {
                    return false;
                };
                sink(Value::Str(u.name.as_bytes()))
            }
        }
        true
    }
}
