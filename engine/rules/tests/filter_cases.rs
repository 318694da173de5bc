//! One data-driven runner over the reference case files (`FILTER_CASES_DIR`).

use falco_rules::parser::parse;
use falco_rules::testcases::{cases_dir, parser_cases};

fn variants(expr: &str) -> Vec<String> {
    vec![
        expr.to_string(),
        format!("  {expr}  "),
        expr.replace(' ', "\n"),
        expr.replace(' ', "\t"),
    ]
}

#[test]
fn parser_cases_pass() {
    let cases = parser_cases(&cases_dir()).expect("parser.yaml");
    let mut failures = Vec::new();
    for c in &cases {
        let inputs = if c.accept && c.whitespace_variants {
            variants(&c.expr)
        } else {
            vec![c.expr.clone()]
        };
        for input in inputs {
            let got = parse(&input);
            match (&got, c.accept) {
                (Ok(_), true) => {}
                (Err(e), false) => {
                    if let Some(m) = &c.error_message {
                        if &e.message != m {
                            failures.push(format!(
                                "line {}: {:?}: message {:?}, want {:?}",
                                c.line, input, e.message, m
                            ));
                        }
                    }
                }
                (Ok(ast), false) => {
                    failures.push(format!("line {}: {:?}: accepted as {ast}", c.line, input))
                }
                (Err(e), true) => failures.push(format!(
                    "line {}: {:?}: rejected: {}",
                    c.line, input, e.message
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} parser cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("parser cases: {} passed", cases.len());
}

mod common;

use falco_rules::compile::Compiler;
use falco_rules::load::{load, LoadOptions, RulesFile};
use falco_rules::testcases::{compiler_cases, loader_cases, LoaderAssertion};

#[test]
fn compiler_eval_mock_cases_pass() {
    let cases = compiler_cases(&cases_dir()).expect("compiler.yaml");
    let mut n = 0;
    let mut failures = Vec::new();
    for c in cases.iter().filter(|c| c.kind == "eval_mock") {
        n += 1;
        let got = parse(&c.expr)
            .map_err(|e| e.message)
            .and_then(|ast| {
                Compiler::new(&common::PermissiveCatalog)
                    .compile(&ast)
                    .map_err(|e| e.message)
            })
            .map(|f| f.eval(&mut common::MockFields));
        if got != Ok(c.expect == "true") {
            failures.push(format!(
                "line {}: {:?}: got {:?}, want {}",
                c.line, c.expr, got, c.expect
            ));
        }
    }
    assert!(n > 0, "no eval_mock cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("eval_mock cases: {n} passed");
}

/// Runs one rule-loader test; returns the failed assertions (or `None` when not runnable).
fn check_loader(case: &falco_rules::testcases::LoaderCase) -> Option<Vec<String>> {
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
                let (rs, res) = load(&files, &common::PermissiveCatalog, &LoadOptions::default());
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

#[test]
fn rule_loader_cases_pass() {
    let cases = loader_cases(&cases_dir().join("rule_loader.yaml")).expect("rule_loader.yaml");
    let (mut passed, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for c in &cases {
        match check_loader(c) {
            None => skipped += 1,
            Some(f) if f.is_empty() => passed += 1,
            Some(f) => failures.push(format!("{}:\n  {}", c.test, f.join("\n  "))),
        }
    }
    eprintln!(
        "rule_loader cases: {passed} passed, {} failed, {skipped} not runnable (C++-built content)",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
