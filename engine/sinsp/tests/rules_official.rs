//! The official rules files load with the real field catalog: zero errors, and exactly the
//! warnings Falco gives for them.
//!
//! What Falco warns about, from its engine (`rule_loader_compiler.cpp`,
//! `filter_warning_resolver.cpp`): macros and lists no rule, macro or list refers to
//! (`LOAD_UNUSED_MACRO`/`LOAD_UNUSED_LIST`, over everything loaded so far: Falco loads the
//! files in order into one collector), every rule output with `%container.info` and every
//! condition using a field deprecated by the drop of enter events (`evt.dir`, `evt.latency*`)
//! (`LOAD_DEPRECATED_ITEM`), conditions without an event-type restriction
//! (`LOAD_NO_EVTTYPE`), `<NA>` comparisons on `ka.*`/`jevt.*` and compiler warnings.
//!
//! The current files (falco-rules 5.x) produce none of them; the 3.0.1 files, written before
//! the container plugin and the drop of enter events, produce the `%container.info` and
//! `evt.dir` deprecations listed below.

use std::path::PathBuf;

use falco_rules::diag::Code;
use falco_rules::load::{load_paths, LoadOptions};
use falco_sinsp::fields::SyscallCatalog;

use falco_testdata::rules_dir;

const CONTAINER_INFO: &str =
    "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The \
    container plugin will automatically add required fields to the output message.";
const EVT_DIR: &str =
    "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' \
    always evaluates to false. The rule expression can be simplified by removing the condition \
    on 'evt.dir'";

/// Loads `files` (relative to the rules directory) in order, checks there is no error, and
/// returns the warnings as `file:line CODE rule 'name': tag`, where the tag names the known
/// messages (`%container.info`, `evt.dir`) and is the message otherwise.
fn warnings(files: &[&str]) -> Vec<String> {
    let paths: Vec<PathBuf> = files.iter().map(|f| rules_dir().join(f)).collect();
    let (rs, res) = load_paths(&paths, &SyscallCatalog::new(), &LoadOptions::default());
    assert!(res.errors.is_empty(), "{files:?}:\n{}", res.to_text());
    assert!(
        rs.rules().len() > 20,
        "{files:?}: {} rules",
        rs.rules().len()
    );
    res.warnings
        .iter()
        .map(|w| {
            let file = w.file.rsplit('/').next().unwrap_or(&w.file);
            let code = match w.code {
                Code::Warning(c) => c.as_str(),
                Code::Error(c) => c.as_str(),
            };
            let item = w
                .locations
                .iter()
                .find(|l| !l.item_name.is_empty())
                .map(|l| format!("{} '{}'", l.item_type, l.item_name))
                .unwrap_or_default();
            let tag = match w.message.as_str() {
                CONTAINER_INFO => "%container.info",
                EVT_DIR => "evt.dir",
                m => m,
            };
            format!("{file}:{} {code} {item}: {tag}", w.pos().line)
        })
        .collect()
}

const CURRENT: [&str; 3] = [
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

#[test]
fn current_files_load_without_errors_or_warnings() {
    for n in 1..=CURRENT.len() {
        assert_eq!(
            warnings(&CURRENT[..n]),
            Vec::<String>::new(),
            "{:?}",
            &CURRENT[..n]
        );
    }
}

/// Every warning for the 3.0.1 files loaded in order: (file, line, rule, tag).
const V3_0_1: &[(&str, u32, &str, &str)] = &[
    (
        "falco_rules.yaml",
        319,
        "Directory traversal monitored file read",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        342,
        "Read sensitive file trusted after startup",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        397,
        "Read sensitive file untrusted",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        561,
        "Run shell untrusted",
        "%container.info",
    ),
    ("falco_rules.yaml", 573, "Run shell untrusted", "evt.dir"),
    (
        "falco_rules.yaml",
        690,
        "System user interactive",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        701,
        "System user interactive",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        714,
        "Terminal shell in container",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        722,
        "Terminal shell in container",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        824,
        "Contact K8S API Server From Container",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        833,
        "Contact K8S API Server From Container",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        843,
        "Netcat Remote Code Execution in Container",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        851,
        "Netcat Remote Code Execution in Container",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        886,
        "Search Private Keys or Passwords",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        893,
        "Search Private Keys or Passwords",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        929,
        "Clear Log Activities",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        955,
        "Remove Bulk Data from Disk",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        960,
        "Remove Bulk Data from Disk",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        968,
        "Create Symlink Over Sensitive Files",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        974,
        "Create Symlink Over Sensitive Files",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        980,
        "Create Hardlink Over Sensitive Files",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        986,
        "Create Hardlink Over Sensitive Files",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        995,
        "Packet socket created in container",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1001,
        "Packet socket created in container",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1024,
        "Redirect STDOUT/STDIN to Network Connection in Container",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1045,
        "Linux Kernel Module Injection Detected",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1051,
        "Linux Kernel Module Injection Detected",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1059,
        "Debugfs Launched in Privileged Container",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1064,
        "Debugfs Launched in Privileged Container",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1072,
        "Detect release_agent File Container Escapes",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1105,
        "PTRACE attached to process",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1112,
        "PTRACE attached to process",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1119,
        "PTRACE anti-debug attempt",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1125,
        "PTRACE anti-debug attempt",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1140,
        "Find AWS Credentials",
        "%container.info",
    ),
    ("falco_rules.yaml", 1147, "Find AWS Credentials", "evt.dir"),
    (
        "falco_rules.yaml",
        1154,
        "Execution from /dev/shm",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1161,
        "Execution from /dev/shm",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1177,
        "Drop and execute new binary in container",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1188,
        "Drop and execute new binary in container",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1215,
        "Disallowed SSH Connection Non Standard Port",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1225,
        "Disallowed SSH Connection Non Standard Port",
        "evt.dir",
    ),
    (
        "falco_rules.yaml",
        1239,
        "Fileless execution via memfd_create",
        "%container.info",
    ),
    (
        "falco_rules.yaml",
        1246,
        "Fileless execution via memfd_create",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        254,
        "Modify Shell Configuration File",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        276,
        "Schedule Cron Jobs",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        281,
        "Schedule Cron Jobs",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        367,
        "Read ssh information",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        393,
        "DB program spawned process",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        399,
        "DB program spawned process",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        423,
        "Change thread namespace",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        430,
        "Change thread namespace",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        449,
        "Change namespace privileges via unshare",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        456,
        "Change namespace privileges via unshare",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        613,
        "Launch Privileged Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        620,
        "Launch Privileged Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        643,
        "Launch Excessively Capable Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        650,
        "Launch Excessively Capable Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        664,
        "System procs network activity",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        670,
        "System procs network activity",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        705,
        "Program run with disallowed http proxy env",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        711,
        "Program run with disallowed http proxy env",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        747,
        "Unexpected UDP Traffic",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        752,
        "Unexpected UDP Traffic",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        789,
        "Non sudo setuid",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        797,
        "Non sudo setuid",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        817,
        "User mgmt binaries",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        824,
        "User mgmt binaries",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        854,
        "Create files below dev",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        885,
        "Contact EC2 Instance Metadata Service From Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        890,
        "Contact EC2 Instance Metadata Service From Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        905,
        "Contact cloud metadata service from container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        910,
        "Contact cloud metadata service from container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        942,
        "Launch Package Management Process in Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        949,
        "Launch Package Management Process in Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        963,
        "Launch Suspicious Network Tool in Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        969,
        "Launch Suspicious Network Tool in Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        983,
        "Launch Suspicious Network Tool on Host",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        1024,
        "Delete or rename shell history",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1052,
        "Set Setuid or Setgid bit",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1059,
        "Set Setuid or Setgid bit",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        1080,
        "Launch Remote File Copy Tools in Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1085,
        "Launch Remote File Copy Tools in Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        1109,
        "Network Connection outside Local Subnet",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1115,
        "Network Connection outside Local Subnet",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        1139,
        "Mount Launched in Privileged Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1145,
        "Mount Launched in Privileged Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        1175,
        "Launch Ingress Remote File Copy Tools in Container",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1181,
        "Launch Ingress Remote File Copy Tools in Container",
        "evt.dir",
    ),
    (
        "falco-incubating_rules.yaml",
        1195,
        "Read environment variable from /proc files",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1231,
        "Exfiltrating Artifacts via Kubernetes Control Plane",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1270,
        "Potential Local Privilege Escalation via Environment Variables Misuse",
        "%container.info",
    ),
    (
        "falco-incubating_rules.yaml",
        1278,
        "Potential Local Privilege Escalation via Environment Variables Misuse",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        260,
        "Unexpected inbound connection source",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        267,
        "Unexpected inbound connection source",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        303,
        "Read Shell Configuration File",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        594,
        "Update Package Repository",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        615,
        "Write below binary dir",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        622,
        "Write below binary dir",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        667,
        "Write below monitored dir",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        674,
        "Write below monitored dir",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        967,
        "Write below etc",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        973,
        "Write below etc",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1046,
        "Write below root",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1054,
        "Write below root",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1091,
        "Write below rpm database",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1113,
        "Modify binary dirs",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1132,
        "Mkdir binary dirs",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1251,
        "Launch Sensitive Mount Container",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1257,
        "Launch Sensitive Mount Container",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1277,
        "Launch Disallowed Container",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1284,
        "Launch Disallowed Container",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1295,
        "Interpreted procs inbound network activity",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1301,
        "Interpreted procs inbound network activity",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1308,
        "Interpreted procs outbound network activity",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1314,
        "Interpreted procs outbound network activity",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1330,
        "Unexpected K8s NodePort Connection",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1337,
        "Unexpected K8s NodePort Connection",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1354,
        "Create Hidden Files or Directories",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1469,
        "Detect outbound connections to common miner pool ports",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1475,
        "Detect outbound connections to common miner pool ports",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1482,
        "Detect crypto miners using the Stratum protocol",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1487,
        "Detect crypto miners using the Stratum protocol",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1523,
        "Kubernetes Client Tool Launched in Container",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1529,
        "Kubernetes Client Tool Launched in Container",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1549,
        "Container Drift Detected (chmod)",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1556,
        "Container Drift Detected (chmod)",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1573,
        "Container Drift Detected (open+create)",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1598,
        "Container Run as Root User",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1604,
        "Container Run as Root User",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1616,
        "Sudo Potential Privilege Escalation",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1622,
        "Sudo Potential Privilege Escalation",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1634,
        "Unprivileged Delegation of Page Faults Handling to a Userspace Process",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1649,
        "Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1655,
        "Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1668,
        "Java Process Class File Download",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1686,
        "Modify Container Entrypoint",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1707,
        "BPF Program Not Profiled",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1715,
        "BPF Program Not Profiled",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1728,
        "Decoding Payload in Container",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1737,
        "Decoding Payload in Container",
        "evt.dir",
    ),
    (
        "falco-sandbox_rules.yaml",
        1750,
        "Basic Interactive Reconnaissance",
        "%container.info",
    ),
    (
        "falco-sandbox_rules.yaml",
        1760,
        "Basic Interactive Reconnaissance",
        "evt.dir",
    ),
];

#[test]
fn v3_0_1_files_warn_like_falco() {
    let files = [
        "3.0.1/falco_rules.yaml",
        "3.0.1/falco-incubating_rules.yaml",
        "3.0.1/falco-sandbox_rules.yaml",
    ];
    let want: Vec<String> = V3_0_1
        .iter()
        .map(|(f, l, r, t)| format!("{f}:{l} LOAD_DEPRECATED_ITEM rule '{r}': {t}"))
        .collect();
    assert_eq!(warnings(&files), want);
    // The first file alone: its own warnings, nothing about unused lists or macros.
    let first: Vec<String> = want
        .iter()
        .filter(|w| w.starts_with("falco_rules.yaml:"))
        .cloned()
        .collect();
    assert_eq!(warnings(&files[..1]), first);
    let count = |t: &str| V3_0_1.iter().filter(|w| w.3 == t).count();
    assert_eq!((count("%container.info"), count("evt.dir")), (82, 61));
}
