//! `Outputs::subscribe`: a consumer inside the engine gets every alert sent, in order, and a
//! full queue sheds (counted) unless the caller asked to wait for room.

mod common;

use common::{alert, quiet_config};
use falco_outputs::{Outputs, Priority};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn a_subscriber_gets_every_alert_in_order() {
    let mut outputs = Outputs::new(&quiet_config()).expect("outputs");
    let sub = outputs.subscribe(100);
    for i in 0..50 {
        outputs.send(alert(i, Priority::Notice, true));
    }
    let got: Vec<String> = sub.alerts.try_iter().map(|a| a.line.clone()).collect();
    assert_eq!(got.len(), 50);
    for (i, line) in got.iter().enumerate() {
        assert!(line.contains(&format!("alert-{i:06}")), "{line}");
    }
    assert_eq!(sub.shed(), 0);
    drop(outputs);
    assert!(sub.alerts.recv().is_err(), "disconnected with the outputs");
}

#[test]
fn a_full_subscriber_sheds_and_never_blocks() {
    let mut outputs = Outputs::new(&quiet_config()).expect("outputs");
    let sub = outputs.subscribe(10);
    for i in 0..1000 {
        outputs.send(alert(i, Priority::Notice, false));
    }
    assert_eq!(sub.alerts.len(), 10);
    assert_eq!(sub.shed(), 990);
}

#[test]
fn with_backpressure_a_subscriber_loses_nothing() {
    let mut outputs = Outputs::new(&quiet_config()).expect("outputs");
    outputs.wait_for_room(Arc::new(AtomicBool::new(false)), Duration::from_millis(100));
    let sub = outputs.subscribe(4);
    let reader = std::thread::spawn(move || {
        let mut n = 0;
        while let Ok(a) = sub.alerts.recv() {
            assert!(a.line.contains(&format!("alert-{n:06}")));
            n += 1;
            std::thread::sleep(Duration::from_micros(200));
        }
        (n, sub.shed())
    });
    for i in 0..200 {
        outputs.send(alert(i, Priority::Notice, false));
    }
    drop(outputs);
    assert_eq!(reader.join().expect("reader"), (200, 0));
}
