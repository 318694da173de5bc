//! Our default rules (rules/falco_rules.yaml) on the shared captures of real workloads: each
//! scenario raises the rules it should, as many times as it should, and the busy benign
//! workload (HTTP server, curl loop, find/grep over /usr/share/doc) raises nothing.

mod replay_common;

use std::collections::BTreeMap;
use std::process::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Alerts by rule name from replaying `capture` with the default configuration and rules.
fn alerts_by_rule(capture: &str) -> BTreeMap<String, usize> {
    let capture = falco_testdata::reference_path(format!("captures/{capture}.scap.gz"));
    let out = replay_common::replay("falco.yaml", &capture)
        .current_dir(REPO)
        .args(["-o", "json_output=true"])
        .output()
        .expect("falco runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
    {
        let v: serde_json::Value = serde_json::from_str(line).expect("alert JSON");
        *m.entry(v["rule"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    m
}

#[test]
fn default_rules_on_recorded_workloads() {
    let cases: &[(&str, &[(&str, usize)])] = &[
        // cat/head/grep/python3/getent on shadow, gshadow, sudoers, PAM, an ssh private key.
        (
            "sensitive_reads",
            &[("Read sensitive file by untrusted program", 8)],
        ),
        (
            "container_shell",
            &[
                // unshare/nsenter building and entering the container.
                ("Namespace change", 13),
                ("Mount from container", 2),
                ("Shell spawned in container", 4),
                // cat /etc/shadow twice inside the container.
                ("Read sensitive file by untrusted program", 2),
                // echo pwned > /tmp/x inside the container.
                ("File created or deleted in container", 1),
            ],
        ),
        (
            "file_mutations",
            &[
                ("Write below system directory", 5),
                // rm of /etc/evil2.conf, /bin/evil-true, /usr/bin/evil-script; the renames
                // mv /etc/evil.conf /etc/evil2.conf and sed -i on /etc/hosts.
                ("Rename or delete below system directory", 5),
                ("User management binary run", 3),
                ("Link to sensitive file", 2),
                ("Log files cleared", 2),
                ("Set setuid or setgid bit", 2),
                ("Shell history deleted or renamed", 2),
                ("Change ownership or mode of sensitive file", 1),
            ],
        ),
        (
            "network",
            &[
                // nc listeners and clients.
                ("Launch network tool", 7),
                // bash -c 'bash -i >& /dev/tcp/127.0.0.1/4445 0>&1': its connect, then the
                // socket duplicated onto fds 1, 2 and 0 (sshd's own dups onto 0 and 1 are not
                // a shell's; ssh, curl and python3's client raise nothing).
                ("Shell connected to a network peer", 1),
                ("Standard input or output redirected to a network socket", 3),
            ],
        ),
        // The benign workload: no alert at all.
        ("busy_server", &[]),
    ];
    for (capture, want) in cases {
        let want: BTreeMap<String, usize> = want.iter().map(|(r, n)| (r.to_string(), *n)).collect();
        assert_eq!(alerts_by_rule(capture), want, "{capture}");
    }
}

#[test]
fn default_rules_validate_cleanly() {
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .current_dir(REPO)
        .args([
            "-c",
            "falco.yaml",
            "-V",
            "rules/falco_rules.yaml",
            "-V",
            "rules/falco_rules.local.yaml",
        ])
        .output()
        .expect("falco runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text,
        "rules/falco_rules.yaml: Ok\nrules/falco_rules.local.yaml: Ok\n"
    );
}
