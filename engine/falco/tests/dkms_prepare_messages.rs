//! The dkms PRE_BUILD step (`dkms/prepare-rust-headers.sh`) names what is missing, in one
//! `falco-kmod:` line and exit 1, for each way a kernel build directory can fall short: no
//! headers, a kernel without Rust support, the Rust build files absent, a different rustc, no
//! Rust library source. Each case builds a fake kernel build directory and a fake `rustc`;
//! nothing is regenerated.

use std::path::{Path, PathBuf};
use std::process::Command;

const KVER: &str = "7.3.4-test";
const RUSTC: &str = "rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)";
const RUST_FILES: &[&str] = &[
    "rust/libcore.rmeta",
    "rust/libcompiler_builtins.rmeta",
    "rust/libkernel.rmeta",
    "rust/libmacros.so",
    "scripts/target.json",
    "include/generated/rustc_cfg",
];

/// One fake setup and what the script must answer.
struct Case {
    name: &'static str,
    /// The build dir's .config, or None for no .config at all.
    config: Option<&'static str>,
    /// Whether the Rust build files are present.
    rust_files: bool,
    /// What the fake rustc prints for --version (None: no rustc in PATH).
    rustc: Option<&'static str>,
    /// `--check` (report only).
    check: bool,
    /// Expected exit code.
    code: i32,
    /// A line the output must hold (`{DIR}` is the build dir, `{SYSROOT}` the fake sysroot).
    line: &'static str,
}

const RUST_CONFIG: &str = concat!(
    "CONFIG_RUST=y\n",
    "CONFIG_RUSTC_VERSION_TEXT=\"rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)\"\n",
    "CONFIG_CC_VERSION_TEXT=\"gcc-14 (Debian 14.2.0-19) 14.2.0\"\n",
);

const CASES: &[Case] = &[
    Case {
        name: "no headers",
        config: None,
        rust_files: false,
        rustc: Some(RUSTC),
        check: false,
        code: 1,
        line: "falco-kmod: no kernel build directory for 7.3.4-test ({DIR}/.config not found): \
            install the kernel headers (Debian: linux-headers-7.3.4-test)",
    },
    Case {
        name: "kernel without Rust",
        config: Some("CONFIG_MODULES=y\n# CONFIG_RUST is not set\n"),
        rust_files: false,
        rustc: Some(RUSTC),
        check: false,
        code: 1,
        line: "falco-kmod: kernel 7.3.4-test has no Rust support (CONFIG_RUST is not set in \
            {DIR}/.config); the falco module is written in Rust and needs a CONFIG_RUST=y kernel",
    },
    Case {
        name: "check: Rust build files absent",
        config: Some(RUST_CONFIG),
        rust_files: false,
        rustc: Some(RUSTC),
        check: true,
        code: 1,
        line:
            "falco-kmod: kernel 7.3.4-test: {DIR} lacks the Rust build files: rust/libcore.rmeta \
            rust/libcompiler_builtins.rmeta rust/libkernel.rmeta rust/libmacros.so \
            scripts/target.json include/generated/rustc_cfg (dkms regenerates them with this \
            script)",
    },
    Case {
        name: "files present, other rustc",
        config: Some(RUST_CONFIG),
        rust_files: true,
        rustc: Some("rustc 1.91.0 (f8297e351 2025-10-28)"),
        check: false,
        code: 1,
        line: "falco-kmod: kernel 7.3.4-test was built with 'rustc 1.85.1 (4eb161250 2025-03-15) \
            (built from a source tarball)' but rustc in PATH is 'rustc 1.91.0 (f8297e351 \
            2025-10-28)'; install that exact rustc (Debian 13: apt install rustc)",
    },
    Case {
        name: "files present, no rustc",
        config: Some(RUST_CONFIG),
        rust_files: true,
        rustc: None,
        check: false,
        code: 1,
        line: "falco-kmod: kernel 7.3.4-test was built with 'rustc 1.85.1 (4eb161250 2025-03-15) \
            (built from a source tarball)' but rustc in PATH is 'not installed'; install that \
            exact rustc (Debian 13: apt install rustc)",
    },
    Case {
        name: "files present, the kernel's rustc",
        config: Some(RUST_CONFIG),
        rust_files: true,
        rustc: Some(RUSTC),
        check: false,
        code: 0,
        line: "falco-kmod: kernel 7.3.4-test: Rust build files present in {DIR}, rustc 1.85.1 \
            (4eb161250 2025-03-15) (built from a source tarball)",
    },
    Case {
        name: "regeneration without the Rust library source",
        config: Some(RUST_CONFIG),
        rust_files: false,
        rustc: Some(RUSTC),
        check: false,
        code: 1,
        line: "falco-kmod: the Rust standard library source is missing \
            ({SYSROOT}/lib/rustlib/src/rust/library): install rust-src matching rustc 1.85.1 \
            (4eb161250 2025-03-15) (built from a source tarball)",
    },
];

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dkms/prepare-rust-headers.sh")
}

fn run(case: &Case, root: &Path) -> (i32, String) {
    let dir = root.join("build");
    let bin = root.join("bin");
    let sysroot = root.join("sysroot");
    for d in [&dir, &bin, &sysroot] {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
    }
    if let Some(c) = case.config {
        std::fs::write(dir.join(".config"), c).unwrap_or_else(|e| panic!("{e}"));
    }
    if case.rust_files {
        for f in RUST_FILES {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap_or(&dir)).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&p, b"").unwrap_or_else(|e| panic!("{e}"));
        }
    }
    // PATH holds the fake rustc (or none) and the tools the script itself runs.
    for tool in [
        "bash", "sed", "cat", "grep", "cut", "ls", "mkdir", "rm", "wc", "tr",
    ] {
        if let Some(p) = which(tool) {
            let _ = std::os::unix::fs::symlink(p, bin.join(tool));
        }
    }
    if let Some(v) = case.rustc {
        let text = format!(
            "#!/bin/sh\ncase \"$1\" in --version) echo '{v}';; --print) echo '{}';; esac\n",
            sysroot.display()
        );
        let p = bin.join("rustc");
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        let _ = Command::new("chmod").arg("+x").arg(&p).status();
    }
    let mut cmd = Command::new(bin.join("bash"));
    cmd.arg(script());
    if case.check {
        cmd.arg("--check");
    }
    let out = cmd
        .arg(KVER)
        .arg(&dir)
        .env_clear()
        .env("PATH", &bin)
        .env("FALCO_KMOD_STATE", root.join("state"))
        .env("FALCO_KMOD_WORK", root.join("work"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn which(tool: &str) -> Option<PathBuf> {
    ["/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.exists())
}

#[test]
fn prepare_step_names_what_is_missing() {
    let base = std::env::temp_dir().join(format!("falco-dkms-msgs-{}", std::process::id()));
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let root = base.join(i.to_string());
        let (code, text) = run(case, &root);
        let want = case
            .line
            .replace("{DIR}", &root.join("build").display().to_string())
            .replace("{SYSROOT}", &root.join("sysroot").display().to_string());
        if code != case.code || !text.lines().any(|l| l == want) {
            failures.push(format!(
                "{}: exit {code} (want {}), output:\n{text}\nwant the line:\n{want}",
                case.name, case.code
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
