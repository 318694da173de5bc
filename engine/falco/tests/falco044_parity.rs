//! Event-by-event parity with real Falco 0.44.1 (libs 0.25.4), issue #22: the engine replays
//! every shared capture with the catch-all rule and output the reference listings were made
//! with (`falco-0.44/README.md` in the shared reference folder) and must print the listing,
//! line for line. A line may differ only when `falco044_parity/differences.md` lists it
//! (capture, `evt.num`) with the libs 0.25 code that explains it; a listed line that no longer
//! differs fails too, so the table stays true.
//!
//! `busy_server` (466,435 events, about a minute) runs only with `FALCO_PARITY_ALL=1`.
//!
//! Below the comparison, one test per difference issue #22 found before the engine followed
//! libs 0.25, each on the line of `sensitive_reads` (or `file_mutations`) that showed it.

mod replay_common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::OnceLock;

use falco_testdata::reference_path;

/// The catch-all rule of the reference listings.
const RULE: &str = r#"- rule: all
  desc: every event Falco passes to its rules
  condition: evt.num > 0
  output: "%evt.num %evt.rawtime %evt.cpu %evt.type %evt.dir %thread.tid %proc.pid %proc.name %proc.pname %user.uid %fd.num %fd.typechar %fd.name %evt.res | %evt.args"
  priority: INFO
"#;

/// The captures with a listing: the workload captures and libs' own.
const CAPTURES: &[&str] = &[
    "sensitive_reads",
    "container_shell",
    "file_mutations",
    "network",
    "sample",
    "curl_google",
    "curl_google_comments",
    "single_ipv6_conn",
    "test_ipv6_client",
];

fn capture_path(name: &str) -> std::path::PathBuf {
    const WORKLOADS: &[&str] = &[
        "sensitive_reads",
        "container_shell",
        "file_mutations",
        "network",
        "busy_server",
    ];
    if WORKLOADS.contains(&name) {
        reference_path(format!("captures/{name}.scap.gz"))
    } else {
        reference_path(format!("scap/libs/{name}.scap"))
    }
}

/// What the engine prints for `capture` with the catch-all rule, one event a line, the
/// alert's time and priority taken off (the listing's line).
fn engine_lines(capture: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = if capture == "busy_server" {
        // The busy_server listing was made without the arguments.
        RULE.replace(" | %evt.args", "")
    } else {
        RULE.to_string()
    };
    let rules = dir.path().join("all.yaml");
    std::fs::write(&rules, rule).expect("write rules");
    let out = replay_common::replay(replay_common::REPO_CONFIG, &capture_path(capture))
        .arg("-r")
        .arg(&rules)
        .args([
            "-o",
            "base_syscalls.all=true",
            "-o",
            "outputs_queue.capacity=1048576",
            "-o",
            "stdout_output.enabled=true",
            "-o",
            "json_output=false",
            // The listings were made without the container plugin's suggested output fields.
            "-o",
            "append_output=[]",
        ])
        .env("TZ", "UTC")
        .output()
        .expect("falco runs");
    assert!(
        out.status.success(),
        "{capture}: falco failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_once(": Informational ")
                .map(|(_, rest)| rest.to_string())
        })
        .collect()
}

/// The reference listing of `capture`.
fn listing(capture: &str) -> Vec<String> {
    let path = reference_path(format!("falco-0.44/listings/{capture}.txt.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::to_string).collect()
}

/// The differences table: (capture, evt.num) -> why, from the rows of
/// `falco044_parity/differences.md` (`| capture | evt.num | what differs | libs 0.25 code |`).
fn known_differences() -> BTreeMap<(String, String), String> {
    let text = include_str!("falco044_parity/differences.md");
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 4 || cells[0] == "capture" || cells[0].starts_with("---") {
            continue;
        }
        assert!(
            !cells[2].is_empty() && !cells[3].is_empty(),
            "differences.md: row {line:?} needs what differs and the libs code"
        );
        rows.insert(
            (cells[0].to_string(), cells[1].to_string()),
            cells[3].to_string(),
        );
    }
    rows
}

/// Compares one capture with its listing; returns (identical lines, listed differences).
fn compare(capture: &str, known: &BTreeMap<(String, String), String>) -> (usize, usize) {
    let ours = engine_lines(capture);
    let theirs = listing(capture);
    let mut identical = 0;
    let mut listed = BTreeSet::new();
    let mut unexplained = Vec::new();
    for (a, b) in theirs.iter().zip(&ours) {
        if a == b {
            identical += 1;
            continue;
        }
        let num = a.split(' ').next().unwrap_or("").to_string();
        if known.contains_key(&(capture.to_string(), num.clone())) {
            listed.insert(num);
        } else if unexplained.len() < 5 {
            unexplained.push(format!("Falco 0.44.1: {a}\nengine:       {b}"));
        }
    }
    assert!(
        unexplained.is_empty(),
        "{capture}: lines differ from Falco 0.44.1's listing and differences.md does not list them:\n{}",
        unexplained.join("\n\n")
    );
    let stale: Vec<&String> = known
        .keys()
        .filter(|(c, n)| c == capture && !listed.contains(n))
        .map(|(_, n)| n)
        .collect();
    assert!(
        stale.is_empty(),
        "{capture}: differences.md lists evt.num {stale:?}, which now match: remove the rows"
    );
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{capture}: the engine passes {} events to the rules, Falco 0.44.1 {}",
        ours.len(),
        theirs.len()
    );
    (identical, listed.len())
}

#[test]
fn every_capture_matches_falco_0_44_listing() {
    let known = known_differences();
    let mut captures: Vec<&str> = CAPTURES.to_vec();
    if std::env::var_os("FALCO_PARITY_ALL").is_some() {
        captures.push("busy_server");
    }
    for capture in captures {
        let (identical, listed) = compare(capture, &known);
        eprintln!("{capture}: {identical} lines identical, {listed} listed in differences.md");
    }
}

/// The engine's lines of `sensitive_reads`, replayed once for the tests below.
fn sensitive_reads() -> &'static [String] {
    static LINES: OnceLock<Vec<String>> = OnceLock::new();
    LINES.get_or_init(|| engine_lines("sensitive_reads"))
}

/// The line with `evt.num` `num`.
fn line(lines: &[String], num: u64) -> &str {
    let prefix = format!("{num} ");
    lines
        .iter()
        .find(|l| l.starts_with(&prefix))
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no line with evt.num {num}"))
}

/// The header field `i` (0: evt.num, ... 13: evt.res) of a line.
fn field(line: &str, i: usize) -> &str {
    let head = line.split(" | ").next().unwrap_or("");
    head.split(' ').nth(i).unwrap_or("")
}

/// Enter events: libsinsp 0.25 parses the open family's and connect's enter events (and
/// execve's) and then marks them filtered out, so no rule sees one.
#[test]
fn no_enter_event_of_a_syscall_reaches_the_rules() {
    let lines = sensitive_reads();
    for l in lines {
        let (ty, dir) = (field(l, 3), field(l, 4));
        assert!(
            !(dir == ">"
                && matches!(
                    ty,
                    "open" | "openat" | "openat2" | "creat" | "connect" | "execve"
                )),
            "an enter event reached the rules: {l}"
        );
    }
    let opens = lines.iter().filter(|l| field(l, 3) == "openat").count();
    assert!(opens > 0, "the exits still do");
}

/// Generic syscalls the 2022 driver had no code for are named by their native id.
#[test]
fn generic_syscalls_carry_their_real_names() {
    let lines = sensitive_reads();
    assert_eq!(field(line(lines, 130), 3), "rseq");
    let names: BTreeSet<&str> = lines.iter().map(|l| field(l, 3)).collect();
    assert!(
        names.contains("statx") && names.contains("close_range"),
        "{names:?}"
    );
    assert!(!names.contains("syscall"), "a generic event left unnamed");
}

/// `evt.num` counts the events the rules never see (here execve's enter, 87) and ends where
/// Falco's does.
#[test]
fn event_numbers_count_events_the_rules_never_see() {
    let lines = sensitive_reads();
    let nums: Vec<u64> = lines
        .iter()
        .map(|l| field(l, 0).parse().expect("evt.num"))
        .collect();
    let at = nums.iter().position(|&n| n == 86).expect("evt.num 86");
    assert_eq!(nums[at + 1], 88);
    assert_eq!(nums.last(), Some(&8729));
}

/// A thread whose user is unknown, or that set its euid to -1, reads uid 4294967295.
#[test]
fn unknown_users_read_uid_4294967295() {
    let lines = sensitive_reads();
    assert_eq!(
        field(line(lines, 7580), 9),
        "4294967295",
        "setresuid(-1, -1, -1)"
    );
    assert!(line(lines, 7580).contains("ruid=-1(<NONE>)"));
    assert_eq!(
        field(line(lines, 23), 9),
        "4294967295",
        "a thread first seen exiting"
    );
}

/// `evt.res` is SUCCESS for any syscall exit whose first parameter is not negative.
#[test]
fn evt_res_reads_success_for_non_negative_results() {
    let l = line(sensitive_reads(), 789);
    assert_eq!(field(l, 3), "geteuid");
    assert_eq!(field(l, 13), "SUCCESS");
}

/// `fd.name` of an fd event without an fd entry is empty, not `<NA>`.
#[test]
fn fd_name_is_empty_without_an_fd_entry() {
    let l = line(sensitive_reads(), 101);
    assert_eq!(field(l, 3), "mmap");
    assert_eq!((field(l, 10), field(l, 12)), ("4294967295", ""));
}

/// A thread the capture never described is libsinsp's placeholder: pid -1.
#[test]
fn unknown_threads_have_pid_minus_one() {
    let l = line(sensitive_reads(), 23);
    assert_eq!((field(l, 5), field(l, 6)), ("301", "-1"));
}

/// `evt.args`: empty parameters read `<NA>` (NULL only for buffers, tuples, fd lists, string
/// arrays and dynamic values), flags and enums are named from libs' tables, fds carry the
/// socket's protocol.
#[test]
fn arguments_render_as_libs_0_25_does() {
    let lines = sensitive_reads();
    // An openat of the 2022 layout: ino was added empty by the converter.
    assert!(
        line(lines, 106).ends_with("dev=FE00 ino=<NA>"),
        "{}",
        line(lines, 106)
    );
    assert!(!lines.iter().any(|l| l.contains("ino=NULL")));
    assert!(line(lines, 101)
        .contains("prot=3(PROT_READ|PROT_WRITE) flags=10(MAP_PRIVATE|MAP_ANONYMOUS)"));
    assert!(line(lines, 1014).contains("cmd=2(F_GETFD) arg=0"));
    assert!(line(lines, 1224).contains("domain=1(AF_LOCAL|AF_UNIX)"));
    assert!(line(lines, 1224).contains("flags=0(O_NONE)"));
    assert!(
        line(lines, 1226).contains("addr=<NA>"),
        "connect's addr, lost in libs' two-step conversion"
    );
    assert_eq!(
        line(lines, 130).split_once(" | ").map(|x| x.1),
        Some(""),
        "generic syscalls print no arguments"
    );
}
