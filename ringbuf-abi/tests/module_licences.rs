// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Every file compiled into the kernel module carries an SPDX line first, naming a licence the
//! GPL-2.0 module can take; this crate's own files carry the expression its Cargo.toml declares.
//!
//! The module's files are the Kbuild files, `kmod/*.rs`, `kmod/*.c`, `kmod/*.h`, and the files
//! `kmod/falco_core.rs` includes with `#[path = "..."]` (this crate's sources).

use std::path::{Path, PathBuf};

const TAG: &str = "SPDX-License-Identifier:";

/// Licences a GPL-2.0 module may contain (the kernel's `LICENSES/preferred`, GPL-2.0 family
/// and permissive ones). Apache-2.0 is not among them: GPL-2.0 cannot take it alone.
const MODULE_COMPATIBLE: &[&str] = &[
    "GPL-2.0",
    "GPL-2.0-only",
    "GPL-2.0+",
    "GPL-2.0-or-later",
    "MIT",
    "BSD-2-Clause",
    "BSD-3-Clause",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The SPDX expression on the first line of `text`, if that line is an SPDX line (`//`, `/*`
/// or `#` comment).
fn spdx_of(text: &str) -> Option<&str> {
    let first = text.lines().next()?;
    let rest = first.split_once(TAG)?.1;
    let expr = rest.trim().trim_end_matches("*/").trim();
    let before = first.split_once(TAG)?.0.trim();
    matches!(before, "//" | "/*" | "#").then_some(expr)
}

/// True when the module can take code under `expr`: at least one `OR` alternative whose
/// `AND` terms are all module-compatible (a `WITH` exception does not change the licence).
fn module_can_take(expr: &str) -> bool {
    let expr = expr.trim().trim_start_matches('(').trim_end_matches(')');
    expr.split(" OR ").any(|alt| {
        alt.split(" AND ").all(|term| {
            let id = term.split(" WITH ").next().unwrap_or("").trim();
            let id = id.trim_start_matches('(').trim_end_matches(')');
            MODULE_COMPATIBLE.contains(&id)
        })
    })
}

/// The `#[path = "..."]` targets of `falco_core.rs`, relative to `kmod/`.
fn included_paths(core: &str) -> Vec<String> {
    core.lines()
        .filter_map(|l| l.trim().strip_prefix("#[path = \"")?.strip_suffix("\"]"))
        .map(str::to_owned)
        .collect()
}

/// Every file of the module's build, sorted.
fn module_files() -> Vec<PathBuf> {
    let root = repo_root();
    let kmod = root.join("kmod");
    let mut files = vec![root.join("Kbuild"), kmod.join("Kbuild")];
    let entries =
        std::fs::read_dir(&kmod).unwrap_or_else(|e| panic!("cannot list {}: {e}", kmod.display()));
    for e in entries {
        let p = e.expect("directory entry").path();
        if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("rs" | "c" | "h")
        ) {
            files.push(p);
        }
    }
    let core = std::fs::read_to_string(kmod.join("falco_core.rs")).expect("kmod/falco_core.rs");
    let included = included_paths(&core);
    assert!(
        !included.is_empty(),
        "kmod/falco_core.rs includes no #[path] file: the parser no longer matches its form"
    );
    files.extend(included.iter().map(|p| kmod.join(p)));
    let mut files: Vec<PathBuf> = files
        .into_iter()
        .map(|f| std::fs::canonicalize(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect();
    files.sort();
    files.dedup();
    files
}

#[test]
fn every_module_file_has_an_spdx_line_the_module_can_take() {
    let mut bad = Vec::new();
    for f in module_files() {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| {
            panic!(
                "{} is compiled into the module but unreadable: {e}",
                f.display()
            )
        });
        match spdx_of(&text) {
            None => bad.push(format!("{}: first line is not an SPDX line", f.display())),
            Some(expr) if !module_can_take(expr) => bad.push(format!(
                "{}: `{expr}` is not a licence the GPL-2.0 module can take",
                f.display()
            )),
            Some(_) => {}
        }
    }
    assert!(bad.is_empty(), "module sources:\n{}", bad.join("\n"));
}

#[test]
fn the_module_includes_this_crates_sources() {
    // The other test only sees what falco_core.rs names: make sure that is this crate's text.
    let files = module_files();
    let src =
        std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).expect("src");
    for name in [
        "event_table.rs",
        "ioctl.rs",
        "ppm.rs",
        "record.rs",
        "ring.rs",
        "schema.rs",
    ] {
        assert!(
            files.contains(&src.join(name)),
            "kmod/falco_core.rs no longer includes ringbuf-abi/src/{name}"
        );
    }
}

#[test]
fn crate_sources_carry_the_cargo_licence() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("Cargo.toml");
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("license = \"")?.strip_suffix('"'))
        .expect("ringbuf-abi/Cargo.toml sets its own `license`");
    assert!(
        module_can_take(declared),
        "ringbuf-abi's licence `{declared}` does not fit the module"
    );
    let mut dirs = vec![
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
    ];
    let mut bad = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("crate directory") {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().and_then(|x| x.to_str()) == Some("rs") {
                let text = std::fs::read_to_string(&p).expect("crate source");
                if spdx_of(&text) != Some(declared) {
                    bad.push(format!("{}: {:?}", p.display(), spdx_of(&text)));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "files whose SPDX line is not `{declared}`:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_licence_check_itself() {
    assert!(module_can_take("GPL-2.0"));
    assert!(module_can_take("GPL-2.0-only OR MIT"));
    assert!(module_can_take("Apache-2.0 OR GPL-2.0-only"));
    assert!(module_can_take("GPL-2.0 WITH Linux-syscall-note"));
    assert!(!module_can_take("Apache-2.0"));
    assert!(!module_can_take("GPL-3.0-only"));
    assert!(!module_can_take("MIT AND Apache-2.0"));
    assert_eq!(
        spdx_of("// SPDX-License-Identifier: GPL-2.0\nx"),
        Some("GPL-2.0")
    );
    assert_eq!(spdx_of("/* SPDX-License-Identifier: MIT */\n"), Some("MIT"));
    assert_eq!(
        spdx_of("# SPDX-License-Identifier: GPL-2.0\n"),
        Some("GPL-2.0")
    );
    assert_eq!(spdx_of("//! doc\n// SPDX-License-Identifier: MIT\n"), None);
    assert_eq!(
        included_paths("#[path = \"../ringbuf-abi/src/ring.rs\"]\nmod ring;\n"),
        vec!["../ringbuf-abi/src/ring.rs".to_owned()]
    );
}
