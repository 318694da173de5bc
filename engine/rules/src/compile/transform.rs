//! Transformers applied at evaluation time: the unary ones (`tolower`, `toupper`, `b64`,
//! `basename`, `len`) on a value copied out of the event, and the strings `join`, `concat`
//! and `getopt` build from fields and literals.

use super::{Built, Owned};
use crate::ast::TransformerKind;
use crate::field::{EventFields, Value};

impl Owned {
    /// `v` copied out of the event.
    pub(super) fn of(v: Value<'_>) -> Owned {
        match v {
            Value::Str(b) => Owned::Bytes(b.to_vec()),
            Value::Int(i) => Owned::Num(i as i128),
            Value::Uint(u) => Owned::Num(u as i128),
            Value::Bool(b) => Owned::Num(b as i128),
            Value::Ipv4(a) => Owned::Bytes(a.to_vec()),
            Value::Ipv6(a) => Owned::Bytes(a.to_vec()),
            Value::Double(_) => Owned::Other,
        }
    }

    /// `v` under the unary transformers `steps`, innermost first; `None` when one does not apply.
    pub(super) fn apply(steps: &[TransformerKind], v: Owned) -> Option<Owned> {
        let mut v = v;
        for s in steps {
            let Owned::Bytes(b) = v else { return None };
            v = match s {
                TransformerKind::ToLower => Owned::Bytes(b.to_ascii_lowercase()),
                TransformerKind::ToUpper => Owned::Bytes(b.to_ascii_uppercase()),
                TransformerKind::B64 => Owned::Bytes(Owned::b64_decode(&b)?),
                TransformerKind::Basename => {
                    let start = b
                        .iter()
                        .rposition(|&c| c == b'/')
                        .map(|p| p + 1)
                        .unwrap_or(0);
                    Owned::Bytes(b[start..].to_vec())
                }
                TransformerKind::Len => Owned::Num(b.len() as i128),
                _ => return None,
            };
        }
        Some(v)
    }

    /// Base64 decoding for `b64` (padding optional).
    fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
        let val = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => (c - b'A') as u32,
                b'a'..=b'z' => (c - b'a' + 26) as u32,
                b'0'..=b'9' => (c - b'0' + 52) as u32,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            })
        };
        let s: Vec<u8> = s.iter().copied().filter(|&c| c != b'=').collect();
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        for chunk in s.chunks(4) {
            let mut acc = 0u32;
            for (i, &c) in chunk.iter().enumerate() {
                acc |= val(c)? << (18 - 6 * i);
            }
            let n = chunk.len();
            if n < 2 {
                return None;
            }
            out.push((acc >> 16) as u8);
            if n > 2 {
                out.push((acc >> 8) as u8);
            }
            if n > 3 {
                out.push(acc as u8);
            }
        }
        Some(out)
    }
}

/// One option found by [`getopt`].
enum Opt {
    /// An option without argument.
    Flag(u8),
    /// An option with its argument.
    Arg(u8, Vec<u8>),
    /// An option whose required argument is missing.
    Missing(u8),
}

impl Built {
    /// POSIX-style option parsing as libs' `getopt` transformer: options until the first
    /// non-option, `-` or `--`; clusters (`-abc`), attached or separate arguments (`-p8080`,
    /// `-p 8080`, even when the next word starts with `-`); unknown options and long options
    /// yield nothing.
    fn getopt(args: &[Vec<u8>], spec: &[u8]) -> Vec<Opt> {
        let spec = spec.strip_prefix(b":").unwrap_or(spec);
        let takes = |c: u8| -> Option<bool> {
            let p = spec.iter().position(|&x| x == c && c != b':')?;
            Some(spec.get(p + 1) == Some(&b':'))
        };
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a.len() < 2 || a[0] != b'-' || a[1] == b'-' {
                break;
            }
            let mut j = 1;
            while let Some(&c) = a.get(j) {
                match takes(c) {
                    None => j += 1,
                    Some(false) => {
                        out.push(Opt::Flag(c));
                        j += 1;
                    }
                    Some(true) => {
                        if j + 1 < a.len() {
                            out.push(Opt::Arg(c, a[j + 1..].to_vec()));
                        } else if let Some(next) = args.get(i + 1) {
                            out.push(Opt::Arg(c, next.clone()));
                            i += 1;
                        } else {
                            out.push(Opt::Missing(c));
                        }
                        break;
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// The built string, or `None` when a field has no value.
    pub(super) fn eval(&self, fields: &mut dyn EventFields) -> Option<Vec<u8>> {
        let text = |o: Owned| match o {
            Owned::Bytes(b) => Some(b),
            Owned::Num(n) => Some(n.to_string().into_bytes()),
            Owned::Other => None,
        };
        match self {
            Built::Field(f, steps) => {
                let mut first = None;
                let ok = fields.extract(f, &mut |v| {
                    if first.is_none() {
                        first = Some(Owned::of(v));
                    }
                });
                text(Owned::apply(steps, first.filter(|_| ok)?)?)
            }
            Built::Str(s) => Some(s.clone()),
            Built::Steps(inner, steps) => {
                text(Owned::apply(steps, Owned::Bytes(inner.eval(fields)?))?)
            }
            Built::Join(sep, items) => {
                let sep = sep.eval(fields)?;
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(&sep);
                    }
                    out.extend(item.eval(fields)?);
                }
                Some(out)
            }
            Built::Concat(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(item.eval(fields)?);
                }
                Some(out)
            }
            Built::Getopt(..) => self.eval_multi(fields)?.into_iter().next(),
        }
    }

    /// The built values: one for every kind but `getopt` without a key, which yields each
    /// option letter followed by its argument.
    pub(super) fn eval_multi(&self, fields: &mut dyn EventFields) -> Option<Vec<Vec<u8>>> {
        let Built::Getopt(args, spec, key) = self else {
            return self.eval(fields).map(|v| vec![v]);
        };
        let args = args
            .iter()
            .map(|a| a.eval(fields))
            .collect::<Option<Vec<_>>>()?;
        let opts = Built::getopt(&args, &spec.eval(fields)?);
        match key {
            Some(k) => {
                let k = *k.as_bytes().first()?;
                let v = opts.iter().rev().find_map(|o| match o {
                    Opt::Flag(c) | Opt::Missing(c) if *c == k => Some(Vec::new()),
                    Opt::Arg(c, v) if *c == k => Some(v.clone()),
                    _ => None,
                })?;
                Some(vec![v])
            }
            None => {
                let mut out = Vec::new();
                for o in opts {
                    match o {
                        Opt::Flag(c) => out.push(vec![c]),
                        Opt::Arg(c, v) => {
                            out.push(vec![c]);
                            out.push(v);
                        }
                        Opt::Missing(_) => {}
                    }
                }
                Some(out)
            }
        }
    }
}
