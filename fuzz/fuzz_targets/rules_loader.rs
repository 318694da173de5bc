//! Fuzzes the rules loader: YAML reading (anchors, aliases, nesting), the rules structure,
//! lists and macros expansion, condition parsing and compiling against the syscall catalog,
//! output formats and exceptions. Any input must load or give diagnostics, never a panic, a
//! hang or an unbounded allocation.
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
    // The engine reads rules files as UTF-8 (invalid bytes are an error before the loader).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let files = [RulesFile {
        name: "fuzz.yaml".to_string(),
        content: text.to_string(),
    }];
    let (rules, result) = load(&files, catalog(), &LoadOptions::default());
    // Render what a user would see: every diagnostic with its snippet.
    std::hint::black_box((rules.num_enabled(), result.to_text()));
});
