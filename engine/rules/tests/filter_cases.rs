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
