//! `evt.*` fields every event has, whatever its type: number, times, source and host name
//! (libsinsp's `gen_event` checks).

use falco_rules::field::Value;

use super::EventContext;
use crate::fields::table::GenField as G;
use crate::fields::time;

impl EventContext<'_> {
    pub(super) fn extract_gen(&mut self, f: G, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let ts = self.ts();
        match f {
            G::Num => sink(Value::Uint(self.meta.num)),
            G::Time | G::Rawtime => sink(Value::Uint(ts)),
            G::TimeS => return self.str_out(sink, |o| time::write_time(o, ts, false)),
            G::TimeIso8601 => return self.str_out(sink, |o| time::write_iso8601(o, ts)),
            G::Datetime => return self.str_out(sink, |o| time::write_datetime(o, ts, true)),
            G::DatetimeS => return self.str_out(sink, |o| time::write_datetime(o, ts, false)),
            G::RawtimeS => sink(Value::Uint(ts / 1_000_000_000)),
            G::RawtimeNs => sink(Value::Uint(ts % 1_000_000_000)),
            G::Reltime => sink(Value::Uint(ts.saturating_sub(self.meta.first_ts))),
            G::ReltimeS => sink(Value::Uint(
                ts.saturating_sub(self.meta.first_ts) / 1_000_000_000,
            )),
            G::ReltimeNs => sink(Value::Uint(
                ts.saturating_sub(self.meta.first_ts) % 1_000_000_000,
            )),
            G::Source => sink(Value::Str(b"syscall")),
            G::IsAsync => sink(Value::Bool(false)),
            G::Hostname => sink(Value::Str(self.st.hostname().as_bytes())),
            G::PluginName | G::PluginInfo | G::AsyncType => return false,
        }
        true
    }
}
