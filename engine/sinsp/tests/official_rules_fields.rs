//! Every field named in the official rules files (conditions and outputs) resolves.

use falco_rules::field::{FieldArg, FieldCatalog};
use falco_sinsp::fields::SyscallCatalog;

const PREFIXES: &[&str] = &[
    "evt.",
    "proc.",
    "thread.",
    "fd.",
    "user.",
    "group.",
    "container.",
    "k8s.",
    "fs.path.",
];
/// Words in the files that look like fields but are list items or comments (`evt.arg*` in a
/// comment), and `container.info`, which Falco's output formatter replaces by text before
/// resolving fields (the formatter's job, not a catalog field).
const NOT_FIELDS: &[&str] = &[
    "k8s.io",
    "k8s.gcr.io",
    "user.log",
    "fd.types[]",
    "evt.arg",
    "container.info",
];

/// Field references: a known prefix, then name characters, then an optional `[...]`.
fn field_refs(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0
            || !(b[i - 1].is_ascii_alphanumeric()
                || b[i - 1] == b'_'
                || b[i - 1] == b'.'
                || b[i - 1] == b'/'
                || b[i - 1] == b'-');
        if boundary && PREFIXES.iter().any(|p| text[i..].starts_with(p)) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && b[i] == b'[' {
                if let Some(end) = text[i..].find(']') {
                    i += end + 1;
                }
            }
            out.push(text[start..i].trim_end_matches('.').to_string());
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn every_field_in_the_official_rules_resolves() {
    let dir = falco_testdata::rules_dir();
    let cat = SyscallCatalog::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut bad = Vec::new();
    for sub in ["", "3.0.1"] {
        for name in [
            "falco_rules.yaml",
            "falco-incubating_rules.yaml",
            "falco-sandbox_rules.yaml",
        ] {
            let path = dir.join(sub).join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for r in field_refs(&text) {
                if NOT_FIELDS.contains(&r.as_str())
                    || !r.contains('.')
                    || r == "fs.path"
                    || r.ends_with(".yaml")
                    || !seen.insert(r.clone())
                {
                    continue;
                }
                let (name, arg) = match r.split_once('[') {
                    Some((n, a)) => {
                        let a = a.trim_end_matches(']');
                        (
                            n.to_string(),
                            Some(
                                a.parse()
                                    .map(FieldArg::Index)
                                    .unwrap_or_else(|_| FieldArg::Key(a.to_string())),
                            ),
                        )
                    }
                    None => (r.clone(), None),
                };
                if let Err(e) = cat.resolve(&name, arg.as_ref()) {
                    bad.push(format!("{r}: {e}"));
                }
            }
        }
    }
    assert!(seen.len() > 60, "only {} distinct fields found", seen.len());
    assert!(bad.is_empty(), "unresolved:\n{}", bad.join("\n"));
}
