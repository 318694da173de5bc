//! Alerts the outputs did not deliver, for the end of a run: a line in the summary, a warning,
//! and the exit status that tells a caller the run lost alerts (README, "Running it").

use falco_outputs::OutputsStats;
use std::fmt::Write as _;

/// The exit status of a run that otherwise succeeded but ended with at least one alert not
/// delivered by at least one output.
pub const LOST_ALERTS_STATUS: u8 = 3;

/// The summary's lines about alerts some output did not deliver, one per such output; `None`
/// when every output delivered every alert it was given.
pub fn render(stats: &OutputsStats) -> Option<String> {
    if stats.total_lost() == 0 {
        return None;
    }
    let mut s = String::new();
    let _ = writeln!(s, "Alerts not delivered: {}", stats.total_lost());
    for o in &stats.outputs {
        let lost = o.shed + o.failed + o.discarded + o.lost_after_write;
        if lost == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "   {}: {lost} ({} shed, {} failed, {} discarded at shutdown, {} lost after write)",
            o.name, o.shed, o.failed, o.discarded, o.lost_after_write
        );
    }
    Some(s)
}
