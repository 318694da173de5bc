//! Rules-language corners where libsinsp and Falco's loader decide otherwise than an
//! obvious reading would (issue #21 item 18), as case rows through the shared runner
//! (`falco_rules::testcases`): the reference case files lack them, so they live here with
//! the libs or falco test they come from.

mod common;

use std::collections::BTreeMap;

use falco_rules::evttype::{event_types, EventSet};
use falco_rules::testcases::{
    check_loader, check_parse, run_table, LoaderAssertion, LoaderCase, ParserCase,
};

/// `userspace/libsinsp/test/filter_parser.ut.cpp` (libs 48dfd53c): line, expression, accepted.
const PARSER: &[(i64, &str, bool)] = &[
    // parse_transformer_list_invalid: a list element is a field or a transformer, nothing else.
    (1216, r#"join("-", ((fd.name))) = /tmp"#, false),
    (1217, r#"join("-", (macro)) = /tmp"#, false),
    (1218, r#"join("-", (barestring)) = /tmp"#, false),
    (716, "some.field = ((b64(test.field)))", false),
    // What stays valid around them.
    (1199, r#"join("-", ()) = /tmp"#, true),
    (
        1191,
        r#"join("-", ( fd.name , fd.directory )) = /tmp"#,
        true,
    ),
    (1151, r#"(join("-", (fd.name, fd.directory)) = /tmp)"#, true),
];

const LIST_ARG_ERROR: &str =
    "expected transformer list argument: field, transformer, quoted string, or number";

#[test]
fn transformer_list_corners() {
    let cases: Vec<ParserCase> = PARSER
        .iter()
        .map(|&(line, expr, accept)| ParserCase {
            line,
            expr: expr.into(),
            accept,
            // libs' message for a bad list element (`parse_transformer_list_arg`).
            error_message: (1216..=1218)
                .contains(&line)
                .then(|| LIST_ARG_ERROR.to_string()),
            whitespace_variants: false,
        })
        .collect();
    let r = run_table(
        "filter_parser.ut.cpp",
        &cases,
        |c| c.line.to_string(),
        &[],
        check_parse,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.passed, PARSER.len());
}

/// `userspace/libsinsp/test/filter_ppm_codes.ut.cpp` (libs 48dfd53c), tests
/// `check_evt_num_invariants*`: the event-type set of a condition, where `evt.num >= 1`
/// makes some checks statically false or true. Sets: `none`, `all`, `openat`, `not openat`.
const EVT_NUM: &[(&str, &str)] = &[
    ("evt.num=0", "none"),
    ("evt.num == 0", "none"),
    ("evt.num<1", "none"),
    ("evt.num<0", "none"),
    ("evt.num<=0", "none"),
    ("evt.num in (0)", "none"),
    ("evt.num in (0, 0)", "none"),
    ("evt.num in ()", "none"),
    ("evt.num!=0", "all"),
    ("evt.num>0", "all"),
    ("evt.num>=0", "all"),
    ("evt.num>=1", "all"),
    ("evt.num=1", "all"),
    ("evt.num=42", "all"),
    ("evt.num<100", "all"),
    ("evt.num<=1", "all"),
    ("evt.num>5", "all"),
    ("evt.num>=2", "all"),
    ("evt.num in (1, 2, 3)", "all"),
    ("not evt.num=1", "all"),
    ("not evt.num in (1, 2)", "all"),
    ("evt.num=-1", "all"),
    ("evt.num=-100", "all"),
    ("evt.num<-5", "all"),
    ("evt.num<=-5", "all"),
    ("evt.num!=-1", "all"),
    ("evt.num>-5", "all"),
    ("evt.num=0x0", "all"),
    ("evt.num=1.5", "all"),
    ("evt.num in (0, -1, -2)", "all"),
    ("b64(evt.num)=0", "all"),
    ("not evt.num=0", "all"),
    ("not evt.num<1", "all"),
    ("not evt.num<=0", "all"),
    ("not evt.num in (0)", "all"),
    ("not evt.num!=0", "none"),
    ("not evt.num>0", "none"),
    ("not evt.num>=1", "none"),
    ("not not evt.num=0", "none"),
    ("not not evt.num!=0", "all"),
    ("evt.type=openat and evt.num=0", "none"),
    ("evt.num=0 and evt.type=openat", "none"),
    ("evt.type=openat and evt.num<=0", "none"),
    ("evt.type=openat and (evt.num=0)", "none"),
    ("evt.type=openat or evt.num=0", "openat"),
    ("evt.num=0 or evt.type=openat", "openat"),
    ("evt.type=openat and evt.num!=0", "openat"),
    ("evt.type=openat or evt.num!=0", "all"),
    ("not (evt.type=openat and evt.num=0)", "all"),
    ("not (evt.type=openat or evt.num=0)", "not openat"),
    ("evt.type=openat and not (evt.num=0)", "openat"),
    ("evt.type=openat or not (evt.num=0)", "all"),
    ("evt.type=openat and evt.num=1", "openat"),
    ("evt.type=openat and not evt.num=1", "openat"),
];

#[test]
fn evt_num_invariants() {
    let openat = EventSet::from_name("openat");
    let mut failures = Vec::new();
    for (cond, want) in EVT_NUM {
        let ast = falco_rules::parser::parse(cond).unwrap_or_else(|e| panic!("{cond}: {e:?}"));
        let got = event_types(&ast);
        let ok = match *want {
            "none" => got.is_empty(),
            "all" => got == EventSet::all(),
            "openat" => got == openat,
            "not openat" => {
                got.len() == EventSet::all().len() - openat.len()
                    && got.ids().iter().all(|i| !openat.ids().contains(i))
            }
            _ => unreachable!(),
        };
        if !ok {
            failures.push(format!("{cond}: {} event types, want {want}", got.len()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const NO_EVTTYPE: &str = "Rule matches too many evt.type values";

fn load_case(test: &str, rules: &str, success: bool, then: Vec<LoaderAssertion>) -> LoaderCase {
    let mut assertions = vec![LoaderAssertion::Load {
        var: "rules_content".into(),
        filename: "rules.yaml".into(),
        expect_success: success,
    }];
    assertions.extend(then);
    LoaderCase {
        test: test.into(),
        strings: BTreeMap::from([("rules_content".to_string(), rules.to_string())]),
        assertions,
    }
}

fn warning(text: &str, expect: bool) -> LoaderAssertion {
    LoaderAssertion::WarningContains {
        text: text.into(),
        expect,
    }
}

/// `unit_tests/engine/test_rule_loader.cpp` (falco 13074749), by test name.
fn loader_cases() -> Vec<LoaderCase> {
    vec![
        load_case(
            "test_falco_engine.rule_override_exceptions_required_fields",
            r#"
- rule: test_rule
  desc: test rule description
  condition: evt.type = close
  output: user=%user.name command=%proc.cmdline file=%fd.name
  priority: INFO
  exceptions:
    - name: test_exception
      fields: proc.name
      comps: in
      values: ["cat"]

# when appending, it's fine to provide partial exception definitions
- rule: test_rule
  exceptions:
    - name: test_exception
      values: [echo]
  override:
    exceptions: append

# when replacing, we don't allow partial exception definitions
- rule: test_rule
  exceptions:
    - name: test_exception
      values: [id]
  override:
    exceptions: replace
"#,
            false,
            vec![
                LoaderAssertion::HasWarnings(false),
                LoaderAssertion::ErrorContains {
                    text: "Item has no mapping for key 'fields'".into(),
                    expect: true,
                },
            ],
        ),
        load_case(
            "test_falco_engine.no_evttype_warning_for_unsatisfiable_condition",
            r#"
- rule: test_rule
  desc: rule with a statically unsatisfiable condition
  condition: evt.num = 0
  output: user=%user.name command=%proc.cmdline file=%fd.name
  priority: INFO
"#,
            true,
            vec![warning(NO_EVTTYPE, false), LoaderAssertion::NumRules(1)],
        ),
        load_case(
            "test_falco_engine.no_evttype_warning_for_evt_type_contradiction",
            r#"
- rule: test_rule
  desc: rule with contradicting evt.type checks
  condition: evt.type = open and evt.type = close
  output: user=%user.name command=%proc.cmdline file=%fd.name
  priority: INFO
"#,
            true,
            vec![warning(NO_EVTTYPE, false)],
        ),
        load_case(
            "test_falco_engine.no_evttype_warning_for_never_true_macro",
            r#"
- macro: never_true
  condition: (evt.num=0)

- macro: user_known_activity
  condition: (never_true)

- rule: anchored_rule_with_placeholder
  desc: anchored rule negating a never_true placeholder
  condition: evt.type = open and not user_known_activity
  output: user=%user.name command=%proc.cmdline file=%fd.name
  priority: INFO

- rule: placeholder_only_rule
  desc: rule whose condition reduces entirely to never_true
  condition: never_true
  output: user=%user.name command=%proc.cmdline file=%fd.name
  priority: INFO
"#,
            true,
            vec![warning(NO_EVTTYPE, false), LoaderAssertion::NumRules(2)],
        ),
        load_case(
            "test_falco_engine.evttype_warning_for_broad_condition",
            r#"
- rule: test_rule
  desc: rule without any evt.type restriction
  condition: proc.name = cat
  output: user=%user.name command=%proc.cmdline file=%fd.name
  priority: INFO
"#,
            true,
            vec![warning(NO_EVTTYPE, true)],
        ),
        load_case(
            "test_falco_engine.empty_source_addl_rule",
            r#"
- rule: LD_PRELOAD trick
  desc: Some desc
  condition: evt.type=execve
  output: some output
  priority: INFO
  source: syscall

- rule: LD_PRELOAD trick
  desc: Some desc
  condition: and proc.name=apache
  output: Some output
  priority: INFO
  source:
  append: true
"#,
            true,
            vec![],
        ),
        load_case(
            "test_falco_engine.empty_string_source_addl_rule",
            r#"
- rule: LD_PRELOAD trick
  desc: Some desc
  condition: evt.type=execve
  output: some output
  priority: INFO
  source: syscall

- rule: LD_PRELOAD trick
  desc: Some desc
  condition: and proc.name=apache
  output: Some output
  priority: INFO
  source: ""
  append: true
"#,
            true,
            vec![],
        ),
    ]
}

#[test]
fn loader_corners() {
    let cases = loader_cases();
    let r = run_table(
        "test_rule_loader.cpp",
        &cases,
        |c| c.test.clone(),
        &[],
        |c| match check_loader(c, &common::PermissiveCatalog) {
            None => Err("not runnable".into()),
            Some(f) if f.is_empty() => Ok(()),
            Some(f) => Err(f.join("\n  ")),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.passed, cases.len());
}
