//! syslog_output against a real rsyslogd started by the test with a private config, pid file
//! and socket. libc's syslog(3) always writes to /dev/log, so the outputs run in a private
//! mount namespace where rsyslogd's socket directory is bind-mounted over /dev.
//!
//! Everything is in one test: syslog(3) keeps one process-wide connection.

mod common;

use std::path::Path;
use std::thread;
use std::time::Duration;

use common::{alert, alert_id, private_mount_namespace, quiet_config, wait_for, Rsyslog};
use falco_outputs::{Outputs, Priority, SyslogLogger};

const N: usize = 400;

fn severity_name(priority: Priority) -> &'static str {
    match priority {
        Priority::Emergency => "emerg",
        Priority::Alert => "alert",
        Priority::Critical => "crit",
        Priority::Error => "err",
        Priority::Warning => "warning",
        Priority::Notice => "notice",
        Priority::Informational => "info",
        Priority::Debug => "debug",
    }
}

#[test]
fn rsyslog_receives_each_alert_with_user_facility_and_its_priority_level() {
    let rsyslog = Rsyslog::start();
    let dev = rsyslog.dev.clone();
    let report = thread::spawn(move || {
        private_mount_namespace();
        common::bind_mount(&dev, Path::new("/dev"));
        let mut config = quiet_config();
        config.syslog_output.enabled = true;
        let outputs = Outputs::new(&config).expect("outputs");
        for i in 0..N {
            outputs.send(alert(i, Priority::ALL[i % 8], i & 1 == 0));
        }
        let report = outputs.shutdown(Duration::from_secs(30));
        // log_syslog: the engine's own log goes the same way.
        SyslogLogger::new(log::LevelFilter::Info, false)
            .install()
            .expect("logger");
        log::warn!("falco-outputs test: engine log line");
        log::debug!("falco-outputs test: filtered out by level");
        report
    })
    .join()
    .expect("syslog thread");
    let syslog = report.stats.get("syslog").expect("syslog stats").clone();
    assert_eq!(
        (syslog.enqueued, syslog.delivered, syslog.failed),
        (N as u64, N as u64, 0)
    );

    wait_for(
        "rsyslogd to write every alert",
        Duration::from_secs(30),
        || rsyslog.lines().len() > N,
    );
    let lines = rsyslog.lines();
    println!("first line rsyslogd wrote: {:?}", lines[0]);
    let mut seen = vec![false; N];
    for (facility, severity, message) in &lines[..N] {
        let id = alert_id(message).unwrap_or_else(|| panic!("no alert id in {message:?}"));
        let priority = Priority::ALL[id % 8];
        assert_eq!(facility, "user", "{message}");
        assert_eq!(severity, severity_name(priority), "{message}");
        assert!(
            message.ends_with(&alert(id, priority, id & 1 == 0).line),
            "{message:?}"
        );
        assert!(!seen[id], "alert {id} twice");
        seen[id] = true;
    }
    let (facility, severity, message) = &lines[N];
    assert_eq!((facility.as_str(), severity.as_str()), ("user", "warning"));
    assert!(
        message.ends_with("falco-outputs test: engine log line"),
        "{message:?}"
    );
    assert_eq!(
        lines.len(),
        N + 1,
        "the debug record is below the logger's level"
    );
}
