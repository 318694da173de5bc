//! `-p` output formats: text with `%field` tokens, rendered per event.

use std::fmt::Write;

use ringbuf_abi::{EventInfo, Record};

use super::threads::ThreadTable;
use falco_rules::ast::FieldRef;
use falco_rules::compile::Compiler;
use falco_rules::field::{FieldCatalog, ResolvedField};
use falco_sinsp::fields::EventContext as StateContext;

/// Everything a field can be taken from.
pub struct EventContext<'a, 'r> {
    /// `evt.num`: position of the event in the stream, from 1.
    pub num: u64,
    /// CPU.
    pub cpu: u16,
    /// The record.
    pub record: &'a Record<'r>,
    /// Its schema, when the id is known.
    pub info: Option<&'static EventInfo>,
    /// `evt.type`.
    pub name: &'a str,
    /// Thread table for `proc.*`.
    pub threads: &'a ThreadTable,
}

/// A field a format can print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// `evt.num`.
    Num,
    /// `evt.type`.
    Type,
    /// `evt.dir`.
    Dir,
    /// `evt.cpu`.
    Cpu,
    /// `evt.time`: HH:MM:SS.nnnnnnnnn (UTC).
    Time,
    /// `evt.rawtime`: ns since the epoch.
    RawTime,
    /// `thread.tid`.
    Tid,
    /// `proc.pid`.
    Pid,
    /// `proc.name`.
    ProcName,
    /// `evt.typeid` (numeric event id).
    TypeId,
    /// Any other field of the engine's catalog (`fd.name`, `user.name`, `evt.args` with its
    /// resolved `fd=3(<f>/etc/passwd)` forms, ...), read from the replay state as an alert
    /// would print it: the index of its resolved form in [`Format::state_fields`].
    State(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(Field),
}

/// A parsed output format.
#[derive(Clone, Debug)]
pub struct Format {
    pieces: Vec<Piece>,
    /// The fields only the engine's state can answer, in the order of their pieces.
    state_fields: Vec<ResolvedField>,
}

fn field(name: &str) -> Option<Field> {
    Some(match name {
        "evt.num" => Field::Num,
        "evt.type" => Field::Type,
        "evt.dir" => Field::Dir,
        "evt.cpu" => Field::Cpu,
        "evt.time" => Field::Time,
        "evt.rawtime" => Field::RawTime,
        "thread.tid" => Field::Tid,
        "proc.pid" => Field::Pid,
        "proc.name" => Field::ProcName,
        "evt.typeid" => Field::TypeId,
        _ => return None,
    })
}

impl Format {
    /// sysdig's default line: number, time, cpu, process, tid, direction, type, arguments.
    pub fn default_line() -> Self {
        // The literal is known to parse.
        Format::parse(
            "%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args",
        )
        .unwrap_or(Format {
            pieces: Vec::new(),
            state_fields: Vec::new(),
        })
    }

    /// Parses a format. A leading `*` (sysdig's "print events with missing fields") is
    /// accepted and ignored: missing fields print as `<NA>`. The event's own fields are
    /// printed from the record; any other field of the engine's syscall catalog is read from
    /// the replay state (see [`Format::needs_state`]).
    ///
    /// # Errors
    /// A field name neither knows.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_with(s, &falco_sinsp::fields::SyscallCatalog::new())
    }

    /// [`Format::parse`] with the catalog that resolves the state fields.
    ///
    /// # Errors
    /// A field name neither the record nor `catalog` knows.
    pub fn parse_with(s: &str, catalog: &dyn FieldCatalog) -> Result<Self, String> {
        let s = s.strip_prefix('*').unwrap_or(s);
        let compiler = Compiler::new(catalog);
        let mut state_fields = Vec::new();
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut it = s.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            if c != '%' {
                text.push(c);
                continue;
            }
            if let Some((_, '%')) = it.peek() {
                it.next();
                text.push('%');
                continue;
            }
            let start = i + 1;
            let mut end = start;
            let mut in_index = false;
            while let Some(&(j, d)) = it.peek() {
                let ok = if in_index {
                    d.is_ascii_digit() || d == ']'
                } else {
                    d.is_alphanumeric() || d == '.' || d == '_' || d == '['
                };
                if !ok {
                    break;
                }
                in_index = (in_index || d == '[') && d != ']';
                end = j + d.len_utf8();
                it.next();
                if d == ']' {
                    break;
                }
            }
            let name = &s[start..end];
            let f = match field(name) {
                Some(f) => f,
                None => {
                    let (base, arg) = match name.split_once('[') {
                        Some((b, a)) => (b, Some(a.trim_end_matches(']').to_string())),
                        None => (name, None),
                    };
                    let r = compiler
                        .resolve(&FieldRef {
                            name: base.to_string(),
                            arg,
                            span: Default::default(),
                        })
                        .map_err(|e| {
                            format!("unknown field '%{name}' at column {}: {}", i + 1, e.message)
                        })?;
                    state_fields.push(r);
                    Field::State(state_fields.len() - 1)
                }
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Field(f));
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Format {
            pieces,
            state_fields,
        })
    }

    /// True when some field must be read from the replay state.
    pub fn needs_state(&self) -> bool {
        !self.state_fields.is_empty()
    }

    /// Renders the state fields of one event into `vals` (one string each, `<NA>` when
    /// absent), for [`Format::render`].
    pub fn render_state(&self, ctx: &mut StateContext<'_>, vals: &mut Vec<String>) {
        vals.clear();
        for f in &self.state_fields {
            let mut v = String::new();
            if !ctx.format_field(f, &mut v) {
                v.push_str("<NA>");
            }
            vals.push(v);
        }
    }

    /// Renders one event into `out`; `state_vals` are its [`Format::render_state`] values.
    pub fn render(&self, ctx: &EventContext<'_, '_>, state_vals: &[String], out: &mut String) {
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(Field::State(i)) => {
                    out.push_str(state_vals.get(*i).map_or("<NA>", String::as_str))
                }
                Piece::Field(f) => render_field(f, ctx, out),
            }
        }
    }
}

fn render_field(f: &Field, ctx: &EventContext<'_, '_>, out: &mut String) {
    let rec = ctx.record;
    match f {
        Field::Num => {
            let _ = write!(out, "{}", ctx.num);
        }
        Field::Type => out.push_str(ctx.name),
        Field::TypeId => {
            let _ = write!(out, "{}", rec.evtype());
        }
        Field::Dir => out.push(ctx.info.map_or('?', |i| i.direction.as_char())),
        Field::Cpu => {
            let _ = write!(out, "{}", ctx.cpu);
        }
        Field::Time => {
            let ts = rec.ts();
            let secs = ts / 1_000_000_000;
            let _ = write!(
                out,
                "{:02}:{:02}:{:02}.{:09}",
                (secs / 3600) % 24,
                (secs / 60) % 60,
                secs % 60,
                ts % 1_000_000_000
            );
        }
        Field::RawTime => {
            let _ = write!(out, "{}", rec.ts());
        }
        Field::Tid => {
            // `thread.tid` is PT_INT64 in libs: the synthetic user/group events' tid is -1.
            let _ = write!(out, "{}", rec.tid() as i64);
        }
        Field::Pid => match ctx.threads.get(rec.tid()) {
            Some(t) => {
                let _ = write!(out, "{}", t.pid);
            }
            None => out.push_str("<NA>"),
        },
        Field::ProcName => match ctx.threads.get(rec.tid()) {
            Some(t) if !t.comm.is_empty() => out.push_str(&t.comm),
            _ => out.push_str("<NA>"),
        },
        // Rendered by Format::render from the state values.
        Field::State(_) => out.push_str("<NA>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_and_text() {
        let f = Format::parse("*%evt.num [%evt.arg.fd] %% %evt.arg[2]").expect("parses");
        assert_eq!(
            f.pieces,
            vec![
                Piece::Field(Field::Num),
                Piece::Text(" [".into()),
                Piece::Field(Field::State(0)),
                Piece::Text("] % ".into()),
                Piece::Field(Field::State(1)),
            ]
        );
        assert_eq!(f.state_fields[0].name, "evt.arg.fd");
        assert!(Format::parse("%evt.bogus").is_err());
        let f = Format::parse("%evt.num %fd.name %proc.aname[2]").expect("parses");
        assert!(f.needs_state());
        assert_eq!(f.state_fields.len(), 2);
        assert_eq!(f.state_fields[1].name, "proc.aname[2]");
    }
}
