//! The model of the reference case files in `filter-cases/` (parser, compiler, rule loader),
//! shared by this crate's runner and by `falco-sinsp`'s runner (feature `testcases`).
//!
//! Use [`cases_dir`] to find the directory (env `FILTER_CASES_DIR`), then [`parser_cases`],
//! [`compiler_cases`] and [`loader_cases`] to read the tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

/// The case directory: `$FILTER_CASES_DIR`, else `filter-cases/` in the shared reference
/// folder ([`falco_testdata::reference`]).
pub fn cases_dir() -> PathBuf {
    if let Ok(d) = std::env::var("FILTER_CASES_DIR") {
        return PathBuf::from(d);
    }
    falco_testdata::reference_path("filter-cases")
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
    pub context_hint: Option<EventHint>,
    /// The libs test the case comes from (`sinsp_with_test_input.pmatch`).
    pub test: String,
    /// The libs test file (`userspace/libsinsp/test/filter_op_pmatch.ut.cpp`).
    pub source: String,
}

/// What an `eval_event` case's event is made of, as the libs test builds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventHint {
    /// `PPME_*` event codes the test sends, in order.
    pub event_codes: Vec<String>,
    /// String parameters given to the events (paths).
    pub string_params: Vec<String>,
    /// Helpers of libs' test fixture (`add_default_init_thread`, `generate_execve_enter_and_exit_event`, ...).
    pub helpers: Vec<String>,
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

impl CompilerCase {
    /// The case's key: libs test file and line (`filter_op_pmatch.ut.cpp:41`); lines alone
    /// repeat across files.
    pub fn key(&self) -> String {
        let file = self.source.rsplit('/').next().unwrap_or(&self.source);
        format!("{file}:{}", self.line)
    }
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

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .map(|v| v.iter().filter_map(s).collect())
        .unwrap_or_default()
}

fn hint(y: &Yaml) -> Option<EventHint> {
    y.as_hash()?;
    Some(EventHint {
        event_codes: strings(&y["event_codes"]),
        string_params: strings(&y["event_string_params"]),
        helpers: strings(&y["helpers"]),
    })
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
            context_hint: hint(&c["context_hint"]),
            test: s(&c["test"]).unwrap_or_default(),
            source: s(&c["source"]).unwrap_or_default(),
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
            // `load_rules: {cpp_expr: NAME}`: text built by the C++ test; runners may supply it
            // under NAME in `strings`.
            let load_var = s(&a["load_rules"]).or_else(|| s(&a["load_rules"]["cpp_expr"]));
            let assertion = if let Some(var) = load_var {
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

/// The outcome of running one table of cases against a list of known differences.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableReport {
    /// Cases run.
    pub run: usize,
    /// Cases that agree with the reference.
    pub passed: usize,
    /// Cases listed as known differences (and still differing).
    pub known: usize,
}

/// Runs `check` on every case and compares with `known` (case key → reason): a case must
/// pass unless listed, a listed case must still fail, and every listed line must exist.
///
/// # Errors
/// Every disagreement, one per line, headed by `what`.
pub fn run_table<T>(
    what: &str,
    cases: &[T],
    key: impl Fn(&T) -> String,
    known: &[(&str, &str)],
    mut check: impl FnMut(&T) -> Result<(), String>,
) -> Result<TableReport, String> {
    let mut report = TableReport::default();
    let mut failures = Vec::new();
    for c in cases {
        report.run += 1;
        let l = key(c);
        let listed = known.iter().find(|(k, _)| *k == l);
        match (check(c), listed) {
            (Ok(()), None) => report.passed += 1,
            (Ok(()), Some((_, why))) => failures.push(format!(
                "{l}: now agrees with the reference: remove it from the known differences ({why})"
            )),
            (Err(_), Some(_)) => report.known += 1,
            (Err(e), None) => failures.push(format!("{l}: {e}")),
        }
    }
    for (k, why) in known {
        if !cases.iter().any(|c| key(c) == *k) {
            failures.push(format!("{k}: listed as known ({why}) but no such case"));
        }
    }
    if failures.is_empty() {
        Ok(report)
    } else {
        Err(format!(
            "{what}: {} of {} cases disagree:\n{}",
            failures.len(),
            report.run,
            failures.join("\n")
        ))
    }
}

/// Checks one `parser.yaml` case (with its whitespace variants).
///
/// # Errors
/// What differs from the reference.
pub fn check_parse(c: &ParserCase) -> Result<(), String> {
    let inputs = if c.accept && c.whitespace_variants {
        vec![
            c.expr.clone(),
            format!("  {}  ", c.expr),
            c.expr.replace(' ', "\n"),
            c.expr.replace(' ', "\t"),
        ]
    } else {
        vec![c.expr.clone()]
    };
    for input in inputs {
        match (crate::parser::parse(&input), c.accept) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                if let Some(m) = &c.error_message {
                    if &e.message != m {
                        return Err(format!("{input:?}: message {:?}, want {m:?}", e.message));
                    }
                }
            }
            (Ok(ast), false) => return Err(format!("{input:?}: accepted as {ast}")),
            (Err(e), true) => return Err(format!("{input:?}: rejected: {}", e.message)),
        }
    }
    Ok(())
}

/// Checks one `kind: compile` case: accepted or rejected, and the number of warnings.
///
/// # Errors
/// What differs from the reference.
pub fn check_compile(
    catalog: &dyn crate::field::FieldCatalog,
    c: &CompilerCase,
) -> Result<(), String> {
    let outcome = crate::parser::parse(&c.expr)
        .map_err(|e| format!("parse: {}", e.message))
        .and_then(|ast| {
            let mut comp = crate::compile::Compiler::new(catalog);
            comp.compile(&ast)
                .map(|_| comp.warnings.len())
                .map_err(|e| e.message)
        });
    match (c.expect.as_str(), &outcome) {
        ("accept", Ok(w)) if c.expected_warnings.is_none_or(|want| want == *w) => Ok(()),
        ("reject", Err(_)) => Ok(()),
        _ => Err(format!(
            "`{}`: expected {} ({:?} warnings), got {outcome:?}",
            c.expr, c.expect, c.expected_warnings
        )),
    }
}

/// Checks one evaluation case (`eval_mock` or `eval_event`) on the event behind `fields`:
/// `true`/`false` compare the result, `throws`/`no_throw` only whether it compiles.
///
/// # Errors
/// What differs from the reference.
pub fn check_eval(
    catalog: &dyn crate::field::FieldCatalog,
    c: &CompilerCase,
    fields: &mut dyn crate::field::EventFields,
) -> Result<(), String> {
    let compiled = crate::parser::parse(&c.expr)
        .map_err(|e| format!("parse: {}", e.message))
        .and_then(|ast| {
            crate::compile::Compiler::new(catalog)
                .compile(&ast)
                .map_err(|e| e.message)
        });
    let got = match (c.expect.as_str(), compiled) {
        ("throws", Err(_)) | ("no_throw", Ok(_)) => return Ok(()),
        ("throws", Ok(_)) => return Err(format!("`{}` compiles, want an error", c.expr)),
        (_, Err(e)) => return Err(format!("`{}`: {e}", c.expr)),
        (_, Ok(f)) => f.eval(fields),
    };
    if got.to_string() == c.expect {
        Ok(())
    } else {
        Err(format!("`{}`: got {got}, want {}", c.expr, c.expect))
    }
}

/// Runs one rule-loader test with `catalog`; `None` when the test needs content the case file
/// cannot carry (C++-built strings).
pub fn check_loader(
    case: &LoaderCase,
    catalog: &dyn crate::field::FieldCatalog,
) -> Option<Vec<String>> {
    use crate::load::{load, LoadOptions, RulesFile};
    let mut failures = Vec::new();
    let mut state = None;
    for a in &case.assertions {
        match a {
            LoaderAssertion::Load {
                var,
                filename,
                expect_success,
            } => {
                let content = case.strings.get(var)?;
                let files = [RulesFile {
                    name: filename.clone(),
                    content: content.clone(),
                }];
                let (rs, res) = load(&files, catalog, &LoadOptions::default());
                if res.successful() != *expect_success {
                    failures.push(format!(
                        "load success {} want {}: {}",
                        res.successful(),
                        expect_success,
                        res.to_text()
                    ));
                }
                state = Some((rs, res));
            }
            LoaderAssertion::CompiledCondition { rule, equals } => {
                let (rs, _) = state.as_ref()?;
                let got = rs.get(rule).map(|r| r.condition.to_string());
                if got.as_deref() != Some(equals.as_str()) {
                    failures.push(format!("condition of {rule}: {got:?}, want {equals:?}"));
                }
            }
            LoaderAssertion::ErrorContains { text, expect }
            | LoaderAssertion::WarningContains { text, expect } => {
                let (_, res) = state.as_ref()?;
                let list = if matches!(a, LoaderAssertion::ErrorContains { .. }) {
                    &res.errors
                } else {
                    &res.warnings
                };
                let found = list.iter().any(|d| d.message.contains(text.as_str()));
                if found != *expect {
                    failures.push(format!(
                        "{text:?} present={found}, want {expect}: {}",
                        res.to_text()
                    ));
                }
            }
            LoaderAssertion::HasWarnings(want) => {
                let (_, res) = state.as_ref()?;
                if res.has_warnings() != *want {
                    failures.push(format!(
                        "has_warnings {} want {want}: {}",
                        res.has_warnings(),
                        res.to_text()
                    ));
                }
            }
            LoaderAssertion::NumRules(want) => {
                let (rs, _) = state.as_ref()?;
                if rs.num_enabled() != *want {
                    failures.push(format!("enabled rules {} want {want}", rs.num_enabled()));
                }
            }
            LoaderAssertion::DescribeField { path, equals } => {
                let (rs, _) = state.as_ref()?;
                let r = rs.rules().first()?;
                let got = match path.as_str() {
                    "rules[0].info.condition" => r.condition_text.clone(),
                    "rules[0].info.output" => r.output.clone(),
                    "rules[0].info.description" => r.desc.clone(),
                    "rules[0].info.priority" => r.priority.as_str().to_string(),
                    "rules[0].info.capture" => r.capture.to_string(),
                    "rules[0].info.capture_duration" => format!("{}u", r.capture_duration),
                    _ => continue,
                };
                if &got != equals {
                    failures.push(format!("{path}: {got:?}, want {equals:?}"));
                }
            }
            LoaderAssertion::SchemaValidation(_)
            | LoaderAssertion::CompiledOutput { .. }
            | LoaderAssertion::Raw(_) => {}
        }
    }
    Some(failures)
}
