//! Fuzzes the condition parser on arbitrary text and, when it parses, the compiler: the
//! condition in a rule of its own, loaded against the syscall catalog. Any input must give an
//! expression or a positioned error, never a panic, a stack overflow or a hang.
#![no_main]

use std::sync::OnceLock;

use falco_rules::load::{load, LoadOptions, RulesFile};
use falco_sinsp::fields::SyscallCatalog;
use libfuzzer_sys::fuzz_target;

fn catalog() -> &'static SyscallCatalog {
    static CATALOG: OnceLock<SyscallCatalog> = OnceLock::new();
    CATALOG.get_or_init(SyscallCatalog::new)
}

fuzz_target!(|data: &[u8]| {
    let Ok(condition) = std::str::from_utf8(data) else {
        return;
    };
    if falco_rules::parser::parse(condition).is_err() {
        return;
    }
    // A JSON string is a YAML double-quoted scalar: the condition reaches the loader intact.
    let quoted = serde_json::to_string(condition).unwrap_or_default();
    let content = format!(
        "- rule: fuzz\n  desc: d\n  condition: {quoted}\n  output: \"o %proc.name\"\n  priority: WARNING\n"
    );
    let files = [RulesFile {
        name: "fuzz.yaml".to_string(),
        content,
    }];
    let (rules, result) = load(&files, catalog(), &LoadOptions::default());
    std::hint::black_box((rules.num_enabled(), result.to_text()));
});
