//! The reference case files (`FILTER_CASES_DIR`) through the shared runner
//! (`falco_rules::testcases`): parser cases, `eval_mock` cases and rule-loader cases with a
//! permissive catalog. falco-sinsp's tests run the `compile` and `eval_event` cases with the
//! real catalog through the same runner.

mod common;

use falco_rules::testcases::{
    cases_dir, check_eval, check_loader, check_parse, compiler_cases, loader_cases, parser_cases,
    run_table, CompilerCase,
};

#[test]
fn parser_cases_pass() {
    let cases = parser_cases(&cases_dir()).expect("parser.yaml");
    let r = run_table(
        "parser.yaml",
        &cases,
        |c| c.line.to_string(),
        &[],
        check_parse,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.run > 300, "only {} parser cases", r.run);
    eprintln!("parser cases: {} passed", r.passed);
}

#[test]
fn compiler_eval_mock_cases_pass() {
    let cases: Vec<_> = compiler_cases(&cases_dir())
        .expect("compiler.yaml")
        .into_iter()
        .filter(|c| c.kind == "eval_mock")
        .collect();
    let r = run_table("eval_mock", &cases, CompilerCase::key, &[], |c| {
        check_eval(&common::PermissiveCatalog, c, &mut common::MockFields)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.run > 0, "no eval_mock cases");
    eprintln!("eval_mock cases: {} passed", r.passed);
}

/// Rule-loader tests whose rules text the reference test builds in C++ (`cpp_expr:
/// rules_content`): Falco's base rule plus an `exceptions:` block, translated by hand from
/// falco's `test_rule_loader.cpp`, by test name. The case file's assertions then run as for
/// any other test.
const EXCEPTION_BASE: &str = "
- rule: test_rule
  desc: test rule
  condition: evt.type = open
  output: command=%proc.cmdline
  priority: INFO
";

const HAND_TRANSLATED: &[(&str, &str, &str)] = &[
    (
        "test_falco_engine.exceptions_values_rhs_field_ambiguous",
        "[proc.name]",
        "[proc.pname]",
    ),
    (
        "test_falco_engine.exceptions_values_rhs_field_ambiguous_quoted",
        "[proc.name]",
        "[\"proc.pname\"]",
    ),
    (
        "test_falco_engine.exceptions_values_rhs_field_ambiguous_space_quoted",
        "[proc.name]",
        "[\"proc.pname \"]",
    ),
    (
        "test_falco_engine.exceptions_values_rhs_transformer",
        "[proc.name]",
        "[toupper(proc.pname)]",
    ),
    (
        "test_falco_engine.exceptions_values_transformer_value_quoted",
        "[proc.name]",
        "[\"toupper(proc.pname)\"]",
    ),
    (
        "test_falco_engine.exceptions_values_transformer_space",
        "[proc.name]",
        "[toupper( proc.pname)]",
    ),
    (
        "test_falco_engine.exceptions_values_transformer_space_quoted",
        "[proc.name]",
        "[\"toupper( proc.pname)\"]",
    ),
    (
        "test_falco_engine.exceptions_fields_transformer_quoted",
        "[\"tolower(proc.name)\"]",
        "[test]",
    ),
];

/// The rules text of a hand-translated test.
fn translated(test: &str) -> Option<String> {
    let (_, fields, value) = HAND_TRANSLATED.iter().find(|(t, _, _)| *t == test)?;
    Some(format!(
        "{EXCEPTION_BASE}  exceptions:\n    - name: test_exception\n      fields: {fields}\n      comps: [=]\n      values:\n        - {value}\n"
    ))
}

/// Hand-translated tests where we still differ, with the reason.
const LOADER_GAPS: &[(&str, &str)] = &[];

#[test]
fn rule_loader_cases_pass() {
    let mut cases = loader_cases(&cases_dir().join("rule_loader.yaml")).expect("rule_loader.yaml");
    for c in &mut cases {
        if let Some(text) = translated(&c.test) {
            c.strings.insert("rules_content".into(), text);
        }
    }
    let r = run_table(
        "rule_loader.yaml",
        &cases,
        |c| c.test.clone(),
        LOADER_GAPS,
        |c| match check_loader(c, &common::PermissiveCatalog) {
            None => Err("not runnable: rules text built by C++ code".into()),
            Some(f) if f.is_empty() => Ok(()),
            Some(f) => Err(f.join("\n  ")),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.run >= 68, "only {} rule_loader cases", r.run);
    eprintln!(
        "rule_loader cases: {} passed ({} translated by hand), {} known differences",
        r.passed,
        HAND_TRANSLATED.len(),
        r.known
    );
}
