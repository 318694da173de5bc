//! The `kind: compile` cases of the shared compiler.yaml, compiled by the rules crate's
//! compiler with the real field catalog (plus the two mock fields `c.true`/`c.false` the
//! libs tests register next to the real ones).

use falco_rules::compile::Compiler;
use falco_rules::field::{
    FieldArg, FieldCatalog, FieldClass, FieldError, FieldType, ResolvedField,
};
use falco_rules::testcases::{cases_dir, compiler_cases};
use falco_sinsp::fields::SyscallCatalog;

/// The real catalog plus libs' mock `c.*` boolean fields.
struct WithMocks(SyscallCatalog);

impl FieldCatalog for WithMocks {
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        match name {
            // libs' mock check declares its fields as unsigned numbers and accepts any
            // operator on them; a number type is the closest our compiler knows.
            "c.true" | "c.false" | "c.buffer" => Ok(ResolvedField {
                id: u32::MAX - (name == "c.false") as u32,
                name: name.to_string(),
                arg: None,
                ftype: if name == "c.buffer" {
                    FieldType::Bytebuf
                } else {
                    FieldType::Uint64
                },
                is_list: false,
            }),
            _ => self.0.resolve(name, arg),
        }
    }
    fn classes(&self) -> &[FieldClass] {
        self.0.classes()
    }
}

/// Cases where we differ today, by libs test line, with the reason. The test fails when one
/// of them starts to agree, so the list shrinks as the gaps close.
const KNOWN_GAPS: &[(i64, &str)] = &[
    (
        267,
        "libs' mock c.* fields take any operator and operand; our compiler type-checks them",
    ),
    (
        272,
        "libs' mock c.* fields take any operator and operand; our compiler type-checks them",
    ),
    (
        273,
        "libs' mock c.* fields take any operator and operand; our compiler type-checks them",
    ),
    (
        384,
        "rules compiler: libs rejects `=` with a PT_DOUBLE field (thread.cpu); ours accepts",
    ),
    (
        651,
        "rules compiler: libs warns on `regex` (1 warning); ours emits none yet",
    ),
    (
        653,
        "rules compiler: libs warns on `regex` (1 warning); ours emits none yet",
    ),
    (
        655,
        "rules compiler: libs warns on `regex` (1 warning); ours emits none yet",
    ),
    (
        656,
        "rules compiler: libs warns on `regex` (1 warning); ours emits none yet",
    ),
    (
        657,
        "rules compiler: libs warns on `regex` (1 warning); ours emits none yet",
    ),
    (
        660,
        "rules compiler: libs warns on `regex` (1 warning); ours emits none yet",
    ),
    (
        662,
        "rules compiler: libs warns on `regex` (1 warning); ours emits none yet",
    ),
];

#[test]
fn compile_cases_accept_and_reject_like_libs() {
    let cases = compiler_cases(&cases_dir()).expect("compiler.yaml loads");
    let cat = WithMocks(SyscallCatalog::new());
    let mut failures = Vec::new();
    let mut n = 0;
    for c in cases.iter().filter(|c| c.kind == "compile") {
        n += 1;
        let outcome = match falco_rules::parser::parse(&c.expr) {
            Err(e) => Err(format!("parse: {e:?}")),
            Ok(ast) => {
                let mut comp = Compiler::new(&cat);
                comp.compile(&ast)
                    .map(|_| comp.warnings.len())
                    .map_err(|e| e.message)
            }
        };
        let ok = match (c.expect.as_str(), &outcome) {
            ("accept", Ok(w)) => c.expected_warnings.map(|want| want == *w).unwrap_or(true),
            ("reject", Err(_)) => true,
            _ => false,
        };
        let known = KNOWN_GAPS.iter().any(|(l, _)| *l == c.line);
        if ok && known {
            failures.push(format!(
                "line {}: `{}` now agrees with libs: remove it from KNOWN_GAPS",
                c.line, c.expr
            ));
        }
        if !ok && !known {
            failures.push(format!(
                "line {}: `{}` expected {} got {:?}",
                c.line, c.expr, c.expect, outcome
            ));
        }
    }
    assert!(n > 150, "only {n} compile cases");
    assert!(
        failures.is_empty(),
        "{} of {n} compile cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
