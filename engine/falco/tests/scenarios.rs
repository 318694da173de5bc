//! Every rule of rules/falco_rules.yaml proven by a scenario recorded in the guest
//! (tests/scenarios/): the trigger's capture raises the rule with the fields the scenario
//! expects (user, process, parent, command line, container id, file or connection), the benign
//! twin's capture never raises it, every rule has a scenario, and rules/README.md shows the
//! table of results this test computes (`FALCO_BLESS=1` rewrites it).
//!
//! The captures are recorded by `RECORD_SCENARIOS=1 scripts/vm-test` with our kernel module and
//! `falco-inspect --live -w`; the guest's own live results of the same run are kept next to them
//! (`captures/live-results.txt`) and shown in the table's guest column.

mod replay_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// One scenario file (tests/scenarios/<slug>.sh).
#[derive(Debug)]
struct Scenario {
    slug: String,
    rule: String,
    trigger: String,
    benign: String,
    /// Substrings that one alert of `rule` on the trigger must all contain.
    expect: Vec<String>,
    /// A known gap (`GAP=`): the trigger must stay silent until it is closed.
    gap: Option<String>,
}

/// One alert from a replay.
#[derive(Debug)]
struct Alert {
    rule: String,
    output: String,
}

fn scenarios_dir() -> PathBuf {
    Path::new(REPO).join("tests/scenarios")
}

/// `NAME=value` assignments of lib.sh (unquoted values only), for `$NAME` in scenario strings.
fn lib_vars() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(scenarios_dir().join("lib.sh")).expect("lib.sh");
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, v)| {
            !k.is_empty()
                && k.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
                && !v.contains(['$', '"', '\'', ' '])
        })
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The value of `KEY='...'` or `KEY="..."` in a scenario file, with lib.sh variables expanded
/// (longest names first, so `$CID12` is not read as `$CID` followed by `12`).
fn assignment(text: &str, key: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    let line = text.lines().find(|l| l.starts_with(&format!("{key}=")))?;
    let raw = &line[key.len() + 1..];
    let q = raw.chars().next()?;
    let inner = raw.strip_prefix(q)?.strip_suffix(q)?;
    if q == '\'' {
        return Some(inner.to_string());
    }
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = inner.to_string();
    for n in names {
        out = out.replace(&format!("${n}"), &vars[n]);
    }
    Some(out)
}

fn load_scenarios() -> Vec<Scenario> {
    let vars = lib_vars();
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("tests/scenarios")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("scenario file");
        let Some(rule) = assignment(&text, "RULE", &vars) else {
            continue;
        };
        let get = |k: &str| {
            assignment(&text, k, &vars).unwrap_or_else(|| panic!("{}: no {k}=", f.display()))
        };
        out.push(Scenario {
            slug: f.file_stem().unwrap().to_string_lossy().into_owned(),
            rule,
            trigger: get("TRIGGER"),
            benign: get("BENIGN"),
            expect: get("EXPECT").split('|').map(str::to_string).collect(),
            gap: assignment(&text, "GAP", &vars),
        });
    }
    out
}

/// Replays one capture with the default configuration (rules/falco_rules.yaml) in JSON; `Err`
/// when the capture is missing.
fn replay(capture: &Path) -> Result<Vec<Alert>, String> {
    if !capture.exists() {
        return Err(format!("missing capture {}", capture.display()));
    }
    let out = replay_common::replay("falco.yaml", capture)
        .current_dir(REPO)
        .args(["-o", "json_output=true"])
        .output()
        .expect("falco runs");
    assert!(
        out.status.success(),
        "{}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("alert JSON");
            Alert {
                rule: v["rule"].as_str().unwrap_or_default().to_string(),
                output: v["output"].as_str().unwrap_or_default().to_string(),
            }
        })
        .collect())
}

/// Rule names of rules/falco_rules.yaml, in file order.
fn default_rule_names() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(REPO).join("rules/falco_rules.yaml"))
        .expect("rules/falco_rules.yaml");
    text.lines()
        .filter_map(|l| l.strip_prefix("- rule: "))
        .map(|s| s.trim().to_string())
        .collect()
}

/// The guest's verdicts of the recorded run: `LIVE <slug>: trigger fires, benign silent (...)`.
fn guest_results() -> BTreeMap<String, String> {
    let p = scenarios_dir().join("captures/live-results.txt");
    let text = std::fs::read_to_string(&p).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("LIVE "))
        .filter_map(|l| l.split_once(": "))
        .map(|(slug, rest)| {
            // The rule name in parentheses ends the line.
            let verdict = rest.rsplit_once(" (").map(|(v, _)| v).unwrap_or(rest);
            (slug.to_string(), verdict.to_string())
        })
        .collect()
}

/// Result of one scenario in replay.
struct Outcome {
    fires: bool,
    benign_silent: bool,
    /// The matching trigger alert's output, or why none matched.
    detail: String,
}

fn check(s: &Scenario) -> Outcome {
    let cap = |mode: &str| scenarios_dir().join(format!("captures/{}.{mode}.scap.gz", s.slug));
    let (trig, ben) = match (replay(&cap("trigger")), replay(&cap("benign"))) {
        (Ok(t), Ok(b)) => (t, b),
        (Err(e), _) | (_, Err(e)) => {
            return Outcome {
                fires: false,
                benign_silent: true,
                detail: e,
            }
        }
    };
    let of_rule: Vec<&Alert> = trig.iter().filter(|a| a.rule == s.rule).collect();
    let hit = of_rule
        .iter()
        .find(|a| s.expect.iter().all(|w| a.output.contains(w.as_str())));
    let detail = match (hit, of_rule.first()) {
        (Some(a), _) => a.output.clone(),
        (None, Some(a)) => format!("alert lacks some of {:?}: {}", s.expect, a.output),
        (None, None) => format!(
            "no alert of the rule; alerts: {:?}",
            trig.iter().map(|a| &a.rule).collect::<Vec<_>>()
        ),
    };
    Outcome {
        fires: hit.is_some(),
        benign_silent: !ben.iter().any(|a| a.rule == s.rule),
        detail,
    }
}

const TABLE_BEGIN: &str = "<!-- scenario table: generated by engine/falco/tests/scenarios.rs -->";
const TABLE_END: &str = "<!-- end of scenario table -->";

fn table(rows: &[(&Scenario, &Outcome)], guest: &BTreeMap<String, String>) -> String {
    let mut t = String::from(
        "| rule | scenario (trigger) | benign twin | replay | guest (live) |\n|---|---|---|---|---|\n",
    );
    for (s, o) in rows {
        let trig = match (&s.gap, o.fires) {
            (_, true) => "fires".to_string(),
            (Some(g), false) => format!("silent: known gap, {g}"),
            (None, false) => "**SILENT**".to_string(),
        };
        let replay = format!(
            "{}, {}",
            trig,
            if o.benign_silent {
                "twin silent"
            } else {
                "**twin fires**"
            }
        );
        let g = guest
            .get(&s.slug)
            .map(|v| v.replace("trigger ", "").replace("benign ", "twin "))
            .unwrap_or_else(|| "not recorded".into());
        t.push_str(&format!(
            "| {} | `{}`: {} | {} | {} | {} |\n",
            s.rule,
            s.slug,
            s.trigger.replace('|', "\\|"),
            s.benign.replace('|', "\\|"),
            replay,
            g
        ));
    }
    t
}

#[test]
fn every_rule_fires_on_its_scenario_and_not_on_its_twin() {
    let scenarios = load_scenarios();
    let rules = default_rule_names();
    for r in &rules {
        assert!(
            scenarios.iter().any(|s| &s.rule == r),
            "rule {r:?} has no scenario in tests/scenarios/"
        );
    }
    for s in &scenarios {
        assert!(
            rules.contains(&s.rule),
            "{}: RULE {:?} is not in rules/falco_rules.yaml",
            s.slug,
            s.rule
        );
    }
    // Rows in the rules file's order.
    let mut ordered: Vec<&Scenario> = scenarios.iter().collect();
    ordered.sort_by_key(|s| (rules.iter().position(|r| r == &s.rule), s.slug.clone()));
    let outcomes: Vec<Outcome> = ordered.iter().map(|s| check(s)).collect();
    let guest = guest_results();
    let mut failures = Vec::new();
    for (s, o) in ordered.iter().zip(&outcomes) {
        match (&s.gap, o.fires) {
            (None, false) => failures.push(format!("{}: trigger: {}", s.slug, o.detail)),
            (Some(_), true) => failures.push(format!(
                "{}: the trigger fires now: remove its GAP line ({})",
                s.slug, o.detail
            )),
            _ => {}
        }
        if !o.benign_silent {
            failures.push(format!("{}: the benign twin raises {:?}", s.slug, s.rule));
        }
        let want_guest = if s.gap.is_some() {
            "trigger silent (known gap), benign silent"
        } else {
            "trigger fires, benign silent"
        };
        match guest.get(&s.slug).map(String::as_str) {
            Some(g) if g == want_guest => {}
            other => failures.push(format!(
                "{}: guest result {other:?} in captures/live-results.txt",
                s.slug
            )),
        }
    }
    let rows: Vec<(&Scenario, &Outcome)> = ordered.iter().copied().zip(outcomes.iter()).collect();
    let want = table(&rows, &guest);
    let readme_path = Path::new(REPO).join("rules/README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_default();
    let current = readme
        .split_once(TABLE_BEGIN)
        .and_then(|(_, rest)| rest.split_once(TABLE_END))
        .map(|(t, _)| t.trim_start_matches('\n').to_string());
    if current.as_deref() != Some(want.as_str()) {
        if std::env::var_os("FALCO_BLESS").is_some() {
            let (head, tail) = match readme.split_once(TABLE_BEGIN) {
                Some((h, rest)) => (
                    h.to_string(),
                    rest.split_once(TABLE_END)
                        .map(|(_, t)| t)
                        .unwrap_or("")
                        .to_string(),
                ),
                None => (readme.clone(), "\n".to_string()),
            };
            std::fs::write(
                &readme_path,
                format!("{head}{TABLE_BEGIN}\n{want}{TABLE_END}{tail}"),
            )
            .expect("write rules/README.md");
        } else {
            failures.push(format!(
                "rules/README.md's scenario table is stale (FALCO_BLESS=1 rewrites it); want:\n{want}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn guest_seed_and_benign_workload_passed_in_the_recorded_run() {
    // The seed scenario and the 60 s benign workload run live in the guest only
    // (tests/scenarios/guest.sh: scenario_seed, benign_workload); their results are kept in
    // live-results.txt by the recording run.
    let p = scenarios_dir().join("captures/live-results.txt");
    let text = std::fs::read_to_string(&p).unwrap_or_default();
    assert!(
        text.lines()
            .any(|l| l == "seed: 2 alerts, shell-in-container rc=0, shadow-read rc=0"),
        "{}: no passing seed line",
        p.display()
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("benign workload: ") && l.contains(" 0 alerts during it")),
        "{}: no passing benign-workload line",
        p.display()
    );
}
