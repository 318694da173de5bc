//! The model of the reference case files in `filter-cases/` (parser, compiler, rule loader),
//! shared by this crate's runner and by `falco-sinsp`'s runner (feature `testcases`).
//!
//! Use [`cases_dir`] to find the directory (env `FILTER_CASES_DIR`), then [`parser_cases`],
//! [`compiler_cases`] and [`loader_cases`] to read the tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

/// The case directory: `$FILTER_CASES_DIR`, else `<workspace>/../shared/reference/filter-cases`.
pub fn cases_dir() -> PathBuf {
    if let Ok(d) = std::env::var("FILTER_CASES_DIR") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/filter-cases")
}

/// One `parser.yaml` case.
#[derive(Clone, Debug)]
pub struct ParserCase {
    /// Line in the libs test file (identifies the case).
    pub line: i64,
    /// The expression (generated for `expr_generator` cases).
    pub expr: String,
    /// True when the expression must parse.
    pub accept: bool,
    /// libs' exact message, for rejections.
    pub error_message: Option<String>,
    /// True when the case must also parse padded and with spaces replaced by `\n` or `\t`.
    pub whitespace_variants: bool,
}

/// One `compiler.yaml` case.
#[derive(Clone, Debug)]
pub struct CompilerCase {
    /// `compile`, `eval_mock` or `eval_event`.
    pub kind: String,
    /// Line in the libs test file.
    pub line: i64,
    /// The expression.
    pub expr: String,
    /// `accept`/`reject` (compile), `true`/`false`/`throws`/`no_throw` (eval).
    pub expect: String,
    /// Number of compiler warnings expected, when given.
    pub expected_warnings: Option<usize>,
    /// Error message expected, when given.
    pub error_message: Option<String>,
    /// For `eval_event`: the event to build.
    pub context_hint: Option<String>,
}

/// One assertion of a rule-loader case, in order.
#[derive(Clone, Debug)]
pub enum LoaderAssertion {
    /// Load `strings[var]` as file `filename`; success expected or not.
    Load {
        /// Name of the string.
        var: String,
        /// File name to report.
        filename: String,
        /// Expected success.
        expect_success: bool,
    },
    /// Schema validation status (we have no schema validation; recorded only).
    SchemaValidation(String),
    /// The rule's compiled condition, as Falco prints it.
    CompiledCondition {
        /// Rule name.
        rule: String,
        /// Expected text.
        equals: String,
    },
    /// The rule's output.
    CompiledOutput {
        /// Rule name.
        rule: String,
        /// Expected text.
        equals: String,
    },
    /// An error containing `text` must (or must not) be present.
    ErrorContains {
        /// Text.
        text: String,
        /// Presence expected.
        expect: bool,
    },
    /// A warning containing `text` must (or must not) be present.
    WarningContains {
        /// Text.
        text: String,
        /// Presence expected.
        expect: bool,
    },
    /// A `describe` JSON field (`rules[0].info.condition`) equals a value.
    DescribeField {
        /// Path.
        path: String,
        /// Expected value, rendered as a string (`true`, `Warning`, ...).
        equals: String,
    },
    /// Whether any warning is present.
    HasWarnings(bool),
    /// Number of enabled rules.
    NumRules(usize),
    /// A C++ assertion we cannot map.
    Raw(String),
}

/// One `rule_loader.yaml` test.
#[derive(Clone, Debug)]
pub struct LoaderCase {
    /// Test name.
    pub test: String,
    /// Named YAML strings.
    pub strings: BTreeMap<String, String>,
    /// Assertions, in order.
    pub assertions: Vec<LoaderAssertion>,
}

fn load(path: &Path) -> Result<Yaml, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut docs =
        YamlLoader::load_from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if docs.is_empty() {
        return Err(format!("{}: empty", path.display()));
    }
    Ok(docs.swap_remove(0))
}

fn s(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn generate(generator: &str) -> Option<String> {
    // "'(' repeated 100000 times"
    let rest = generator.strip_prefix('\'')?;
    let (unit, rest) = rest.split_once('\'')?;
    let n: usize = rest
        .trim()
        .strip_prefix("repeated")?
        .trim()
        .strip_suffix("times")?
        .trim()
        .parse()
        .ok()?;
    Some(unit.repeat(n))
}

/// Reads `parser.yaml` from `dir`.
///
/// # Errors
/// When the file cannot be read or a case is malformed.
pub fn parser_cases(dir: &Path) -> Result<Vec<ParserCase>, String> {
    let doc = load(&dir.join("parser.yaml"))?;
    let mut out = Vec::new();
    for c in doc["cases"].as_vec().ok_or("parser.yaml: no cases")? {
        let expr = match s(&c["expr"]) {
            Some(e) => e,
            None => s(&c["expr_generator"])
                .and_then(|g| generate(&g))
                .ok_or("parser.yaml: case without expr")?,
        };
        out.push(ParserCase {
            line: c["line"].as_i64().unwrap_or(0),
            expr,
            accept: s(&c["expect"]).as_deref() == Some("accept"),
            error_message: s(&c["error_message"]),
            whitespace_variants: s(&c["note"]).is_some_and(|n| n.contains("newlines or by tabs")),
        });
    }
    Ok(out)
}

/// Reads `compiler.yaml` from `dir`.
///
/// # Errors
/// When the file cannot be read.
pub fn compiler_cases(dir: &Path) -> Result<Vec<CompilerCase>, String> {
    let doc = load(&dir.join("compiler.yaml"))?;
    let mut out = Vec::new();
    for c in doc["cases"].as_vec().ok_or("compiler.yaml: no cases")? {
        out.push(CompilerCase {
            kind: s(&c["kind"]).unwrap_or_default(),
            line: c["line"].as_i64().unwrap_or(0),
            expr: s(&c["expr"]).unwrap_or_default(),
            expect: s(&c["expect"]).unwrap_or_default(),
            expected_warnings: c["expected_warnings"].as_i64().map(|n| n as usize),
            error_message: s(&c["error_message"]),
            context_hint: s(&c["context_hint"]),
        });
    }
    Ok(out)
}

/// Reads `rule_loader.yaml` (or another file of that format) from `path`.
///
/// # Errors
/// When the file cannot be read.
pub fn loader_cases(path: &Path) -> Result<Vec<LoaderCase>, String> {
    let doc = load(path)?;
    let mut out = Vec::new();
    for t in doc["tests"].as_vec().ok_or("no tests")? {
        let mut strings = BTreeMap::new();
        if let Some(h) = t["strings"].as_hash() {
            for (k, v) in h {
                if let (Some(k), Some(v)) = (s(k), s(v)) {
                    strings.insert(k, v);
                }
            }
        }
        let mut assertions = Vec::new();
        for a in t["assertions"]
            .as_vec()
            .map(|v| v.as_slice())
            .unwrap_or(&[])
        {
            let expect = a["expect"].as_bool().unwrap_or(true);
            let equals = s(&a["equals"]).unwrap_or_default();
            let first = |k: &str| {
                a[k].as_vec()
                    .and_then(|v| v.first())
                    .and_then(s)
                    .unwrap_or_default()
            };
            let assertion = if let Some(var) = s(&a["load_rules"]) {
                LoaderAssertion::Load {
                    var,
                    filename: s(&a["filename"]).unwrap_or_else(|| "rules.yaml".into()),
                    expect_success: a["expect_success"].as_bool().unwrap_or(true),
                }
            } else if let Some(v) = s(&a["schema_validation"]) {
                LoaderAssertion::SchemaValidation(v)
            } else if !a["get_compiled_rule_condition"].is_badvalue() {
                LoaderAssertion::CompiledCondition {
                    rule: first("get_compiled_rule_condition"),
                    equals,
                }
            } else if !a["get_compiled_rule_output"].is_badvalue() {
                LoaderAssertion::CompiledOutput {
                    rule: first("get_compiled_rule_output"),
                    equals,
                }
            } else if let Some(text) = s(&a["error_message_contains"]) {
                LoaderAssertion::ErrorContains { text, expect }
            } else if let Some(text) = s(&a["warning_message_contains"]) {
                LoaderAssertion::WarningContains { text, expect }
            } else if let Some(path) = s(&a["describe_rule_field"]) {
                LoaderAssertion::DescribeField { path, equals }
            } else if let Some(b) = a["has_warnings"].as_bool() {
                LoaderAssertion::HasWarnings(b)
            } else if !a["num_rules_for_ruleset"].is_badvalue() {
                LoaderAssertion::NumRules(a["equals"].as_i64().unwrap_or(-1).max(0) as usize)
            } else {
                LoaderAssertion::Raw(format!("{:?}", a))
            };
            assertions.push(assertion);
        }
        out.push(LoaderCase {
            test: s(&t["test"]).unwrap_or_default(),
            strings,
            assertions,
        });
    }
    Ok(out)
}
