//! `-o key.path=value` overrides applied to the YAML tree before the config is read, so they
//! go through exactly the same validation as the file.
//!
//! Paths are dot-separated keys with optional list indices: `rules_files[0]=a.yaml`,
//! `rules_files[]=b.yaml` (append), `http_output.url=http://x`, `plugins[0].name=foo`.
//! A key that holds a dot escapes it: `-o 'a\.b=1'` sets the key `a.b`, as in Falco.
//! The value is parsed as YAML (`-o 'rules_files=[a.yaml, b.yaml]'` sets a list); a value
//! that is not valid YAML (`"+name`) is taken as a plain string, as Falco does.

use super::yaml::{self, Node, Pos, Value};
use std::sync::Arc;

/// A malformed override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideError {
    /// The override as given.
    pub arg: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A hostile argument may be megabytes long: quote its start only.
        const SHOWN: usize = 200;
        match self.arg.char_indices().nth(SHOWN) {
            Some((cut, _)) => write!(f, "-o {}...: {}", &self.arg[..cut], self.message),
            None => write!(f, "-o {}: {}", self.arg, self.message),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Append,
}

/// The key path split at its unescaped dots, `\.` unescaped.
fn split_keys(path: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                if let Some(p) = parts.last_mut() {
                    p.push('.');
                }
            }
            '.' => parts.push(String::new()),
            c => {
                if let Some(p) = parts.last_mut() {
                    p.push(c);
                }
            }
        }
    }
    parts
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for part in split_keys(path) {
        let part = part.as_str();
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(format!("empty key in `{path}`"));
        }
        steps.push(Step::Key(key.to_string()));
        while let Some(r) = rest.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| format!("missing `]` in `{path}`"))?;
            let idx = &r[..end];
            if idx.is_empty() {
                steps.push(Step::Append);
            } else {
                steps.push(Step::Index(
                    idx.parse()
                        .map_err(|_| format!("bad list index `{idx}` in `{path}`"))?,
                ));
            }
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected `{rest}` in `{path}`"));
        }
    }
    Ok(steps)
}

/// Applies one `key.path=value` override to `root`.
pub fn apply(root: &mut Node, arg: &str) -> Result<(), OverrideError> {
    let err = |message: String| OverrideError {
        arg: arg.to_string(),
        message,
    };
    let (path, value) = arg
        .split_once('=')
        .ok_or_else(|| err("expected key=value".into()))?;
    let steps = parse_path(path.trim()).map_err(err)?;
    // The tree is walked recursively (merged, converted, validated): as deep as a file may be.
    if steps.len() > falco_rules::yaml::MAX_NESTING {
        return Err(err(format!(
            "the key path has {} levels, more than the limit of {}",
            steps.len(),
            falco_rules::yaml::MAX_NESTING
        )));
    }
    let origin = format!("-o {arg}");
    let plain = |pos: Pos| Node {
        value: Value::Scalar {
            text: value.to_string(),
            quoted: true,
        },
        pos,
    };
    let mut new = match yaml::parse(&origin, value) {
        Ok(node) => node,
        // The input limits (nesting, alias expansion) stay errors.
        Err(e) if e.message.contains("limit") || e.message.contains("refusing") => {
            return Err(err(e.message))
        }
        // Falco keeps a value YAML cannot read as the string it is.
        Err(e) => plain(e.pos),
    };
    // An empty value parses as an empty mapping; treat it as an empty scalar instead.
    if value.trim().is_empty() {
        new = Node {
            value: Value::Scalar {
                text: String::new(),
                quoted: true,
            },
            pos: new.pos,
        };
    }
    let pos = Pos {
        file: Arc::from(origin.as_str()),
        line: 1,
        col: 1,
    };
    let mut cur = root;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let next_is_list = matches!(steps.get(i + 1), Some(Step::Index(_) | Step::Append));
        let fresh = || Node {
            value: if next_is_list {
                Value::Seq(Vec::new())
            } else {
                Value::Map(Vec::new())
            },
            pos: pos.clone(),
        };
        cur = match step {
            Step::Key(k) => {
                if !matches!(cur.value, Value::Map(_)) {
                    *cur = Node {
                        value: Value::Map(Vec::new()),
                        pos: pos.clone(),
                    };
                }
                let Value::Map(entries) = &mut cur.value else {
                    return Err(err("internal: not a mapping".into()));
                };
                let at = match entries.iter().position(|(key, _, _)| key == k) {
                    Some(at) => at,
                    None => {
                        entries.push((k.clone(), fresh(), pos.clone()));
                        entries.len() - 1
                    }
                };
                &mut entries[at].1
            }
            Step::Index(_) | Step::Append => {
                if !matches!(cur.value, Value::Seq(_)) {
                    *cur = Node {
                        value: Value::Seq(Vec::new()),
                        pos: pos.clone(),
                    };
                }
                let Value::Seq(items) = &mut cur.value else {
                    return Err(err("internal: not a list".into()));
                };
                let at = match step {
                    Step::Index(n) if *n < items.len() => *n,
                    Step::Index(n) if *n == items.len() => {
                        items.push(fresh());
                        *n
                    }
                    Step::Index(n) => {
                        return Err(err(format!(
                            "index {n} is past the end of a list of {}",
                            items.len()
                        )))
                    }
                    _ => {
                        items.push(fresh());
                        items.len() - 1
                    }
                };
                &mut items[at]
            }
        };
        if last {
            *cur = new;
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_all(base: &str, args: &[&str]) -> serde_yaml::Value {
        let mut root = yaml::parse("f.yaml", base).expect("parses");
        for a in args {
            apply(&mut root, a).expect("applies");
        }
        root.to_serde()
    }

    #[test]
    fn overrides_table() {
        let cases: &[(&str, &[&str], &str)] = &[
            (
                "json_output: false",
                &["json_output=true"],
                "json_output: true",
            ),
            ("a: {b: 1}", &["a.b=2", "a.c=x"], "a: {b: 2, c: x}"),
            (
                "rules_files: [a]",
                &["rules_files[0]=b"],
                "rules_files: [b]",
            ),
            (
                "rules_files: [a]",
                &["rules_files[]=b"],
                "rules_files: [a, b]",
            ),
            ("{}", &["rules_files=[x, y]"], "rules_files: [x, y]"),
            ("{}", &["plugins[0].name=foo"], "plugins: [{name: foo}]"),
            ("{}", &["a\\.b=1"], "{\"a.b\": 1}"),
            ("{}", &["x.a\\.b\\.c.d=1"], "x: {\"a.b.c\": {d: 1}}"),
            ("{}", &["f=\"+name"], "f: '\"+name'"),
            (
                "{}",
                &[
                    "engine.kind=replay",
                    "engine.replay.capture_file=/tmp/x.scap",
                ],
                "engine: {kind: replay, replay: {capture_file: /tmp/x.scap}}",
            ),
        ];
        for (base, args, want) in cases {
            let want: serde_yaml::Value = serde_yaml::from_str(want).expect("want");
            assert_eq!(apply_all(base, args), want, "{base} {args:?}");
        }
    }

    #[test]
    fn bad_overrides_are_errors() {
        let mut root = yaml::parse("f.yaml", "{}").expect("parses");
        for bad in ["novalue", "a[x]=1", "a..b=1", "list[5]=1"] {
            assert!(apply(&mut root, bad).is_err(), "{bad}");
        }
    }
}
