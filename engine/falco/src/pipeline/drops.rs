//! Driver drop monitoring like Falco's `syscall_event_drops`: once per interval, the share of
//! events the driver dropped is compared with `threshold`; above it the configured actions run,
//! alerts and logs rate-limited by a token bucket (`rate` per second, `max_burst`).

use crate::config::model::{DropAction, DropsConfig};

/// A token bucket: `rate` tokens per second, at most `max_burst`.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate: f64,
    max: f64,
    tokens: f64,
    last_ns: u64,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, max_burst: u64, now_ns: u64) -> Self {
        TokenBucket {
            rate,
            max: max_burst as f64,
            tokens: max_burst as f64,
            last_ns: now_ns,
        }
    }

    /// Takes a token if one is available.
    pub fn claim(&mut self, now_ns: u64) -> bool {
        let elapsed = now_ns.saturating_sub(self.last_ns) as f64 / 1e9;
        self.last_ns = now_ns;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.max);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the monitor decided for one interval.
#[derive(Clone, Debug, PartialEq)]
pub struct DropReport {
    /// Events the driver produced in the interval.
    pub events: u64,
    /// Events it dropped in the interval.
    pub drops: u64,
    /// drops / (events + drops).
    pub ratio: f64,
    /// Actions to take now (rate limiting applied).
    pub actions: Vec<DropAction>,
}

/// Tracks driver counters between intervals.
#[derive(Clone, Debug)]
pub struct DropMonitor {
    config: DropsConfig,
    bucket: TokenBucket,
    last_events: u64,
    last_drops: u64,
}

impl DropMonitor {
    /// A monitor with the configuration; counters start at the given totals.
    pub fn new(config: DropsConfig, now_ns: u64, events: u64, drops: u64) -> Self {
        let bucket = TokenBucket::new(config.rate, config.max_burst, now_ns);
        DropMonitor {
            config,
            bucket,
            last_events: events,
            last_drops: drops,
        }
    }

    /// Feeds the driver's running totals; returns a report when the interval's drop ratio is
    /// over the threshold.
    pub fn check(
        &mut self,
        now_ns: u64,
        events_total: u64,
        drops_total: u64,
    ) -> Option<DropReport> {
        let events = events_total.saturating_sub(self.last_events);
        let mut drops = drops_total.saturating_sub(self.last_drops);
        self.last_events = events_total;
        self.last_drops = drops_total;
        // Falco's `simulate_drops`: one more drop at every check, against a threshold of 0.
        let threshold = if self.config.simulate_drops {
            drops += 1;
            0.0
        } else {
            self.config.threshold
        };
        if drops == 0 {
            return None;
        }
        let ratio = drops as f64 / (events + drops) as f64;
        if ratio <= threshold {
            return None;
        }
        let mut actions = Vec::new();
        let exit = self.config.actions.contains(&DropAction::Exit);
        if exit {
            actions.push(DropAction::Exit);
        }
        if self.bucket.claim(now_ns) {
            for a in &self.config.actions {
                if matches!(a, DropAction::Log | DropAction::Alert) {
                    actions.push(*a);
                }
            }
        }
        Some(DropReport {
            events,
            drops,
            ratio,
            actions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(actions: Vec<DropAction>) -> DropsConfig {
        DropsConfig {
            actions,
            rate: 1.0,
            max_burst: 1,
            threshold: 0.1,
            simulate_drops: false,
        }
    }

    #[test]
    fn simulated_drops_trigger_without_driver_drops() {
        let mut c = config(vec![DropAction::Exit]);
        c.simulate_drops = true;
        c.threshold = 1.0;
        let mut m = DropMonitor::new(c, 0, 0, 0);
        let r = m.check(1, 1_000_000, 0).expect("a simulated drop");
        assert_eq!((r.drops, r.actions), (1, vec![DropAction::Exit]));
    }

    #[test]
    fn ratio_threshold_and_rate_limit() {
        const S: u64 = 1_000_000_000;
        let mut m = DropMonitor::new(config(vec![DropAction::Log, DropAction::Alert]), 0, 0, 0);
        // (time, events total, drops total, expected actions or None)
        let steps: &[(u64, u64, u64, Option<&[DropAction]>)] = &[
            (S, 1000, 0, None),      // no drops
            (2 * S, 2000, 50, None), // 50/1050 < 10%
            (
                3 * S,
                2100,
                150,
                Some(&[DropAction::Log, DropAction::Alert]),
            ), // 100/200 = 50%
            (3 * S + 1, 2200, 250, Some(&[])), // over, but no token left
            (
                5 * S,
                2300,
                350,
                Some(&[DropAction::Log, DropAction::Alert]),
            ), // token refilled
        ];
        for (i, &(t, ev, dr, want)) in steps.iter().enumerate() {
            let got = m.check(t, ev, dr).map(|r| r.actions);
            assert_eq!(got.as_deref(), want, "step {i}");
        }
    }

    #[test]
    fn exit_is_never_rate_limited() {
        let mut m = DropMonitor::new(config(vec![DropAction::Exit]), 0, 0, 0);
        for i in 1..4u64 {
            let r = m.check(i, i * 10, i * 10).expect("over threshold");
            assert_eq!(r.actions, vec![DropAction::Exit]);
        }
    }
}
