//! The end-of-run summary Falco prints: events, alerts by priority and by rule.

use crate::config::Priority;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Counts gathered while running.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Events read from the source (after conversion).
    pub events: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts by priority.
    pub by_priority: BTreeMap<Priority, u64>,
    /// Alerts by rule name, in first-seen order of names sorted for stable output.
    pub by_rule: BTreeMap<String, u64>,
    /// Wall-clock seconds spent in the event loop.
    pub elapsed_secs: f64,
}

impl Summary {
    /// Counts one alert.
    pub fn count_alert(&mut self, rule: &str, priority: Priority) {
        self.alerts += 1;
        *self.by_priority.entry(priority).or_default() += 1;
        match self.by_rule.get_mut(rule) {
            Some(n) => *n += 1,
            None => {
                self.by_rule.insert(rule.to_string(), 1);
            }
        }
    }

    /// Adds another source's counts (its events and alerts).
    pub fn merge(&mut self, other: &Summary) {
        self.events += other.events;
        self.alerts += other.alerts;
        for (p, n) in &other.by_priority {
            *self.by_priority.entry(*p).or_default() += n;
        }
        for (r, n) in &other.by_rule {
            *self.by_rule.entry(r.clone()).or_default() += n;
        }
    }

    /// The text printed at the end of a run.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let rate = if self.elapsed_secs > 0.0 {
            self.events as f64 / self.elapsed_secs
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "Events processed: {} ({:.3} s, {:.0} events/s)",
            self.events, self.elapsed_secs, rate
        );
        let _ = writeln!(s, "Events detected: {}", self.alerts);
        let _ = writeln!(s, "Rule counts by severity:");
        for (p, n) in &self.by_priority {
            let _ = writeln!(
                s,
                "   {}: {n}",
                super::alert::priority_name(*p).to_uppercase()
            );
        }
        let _ = writeln!(s, "Triggered rules by rule name:");
        let mut rules: Vec<(&String, &u64)> = self.by_rule.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (r, n) in rules {
            let _ = writeln!(s, "   {r}: {n}");
        }
        s
    }
}
