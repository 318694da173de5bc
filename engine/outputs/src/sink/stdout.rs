//! `stdout_output`: alert lines to the process's standard output.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use super::{LineBatch, Sink};
use crate::alert::Alert;
use crate::stats::Counters;

/// Writes alert lines to any writer; the hub uses `std::io::stdout()`.
pub(crate) struct WriterSink<W: Write + Send> {
    out: W,
    batch: LineBatch,
    counters: Arc<Counters>,
}

impl<W: Write + Send> WriterSink<W> {
    pub(crate) fn new(out: W, buffered: bool, counters: Arc<Counters>) -> Self {
        WriterSink {
            out,
            batch: LineBatch::new(buffered),
            counters,
        }
    }

    fn write_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let written = self
            .out
            .write_all(self.batch.bytes())
            .and_then(|()| self.out.flush());
        match written {
            Ok(()) => self.counters.delivered(self.batch.alerts()),
            Err(e) => self
                .counters
                .failed(self.batch.alerts(), format_args!("writing to stdout: {e}")),
        }
        self.batch.clear();
    }
}

impl<W: Write + Send> Sink for WriterSink<W> {
    fn deliver(&mut self, alert: &Arc<Alert>) {
        self.batch.push(&alert.line);
        if self.batch.is_due() {
            self.write_batch();
        }
    }

    fn idle(&mut self) {
        self.write_batch();
    }

    fn close(&mut self, _deadline: Instant) {
        self.write_batch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Priority;
    use std::sync::atomic::Ordering::Relaxed;

    fn alert(line: &str) -> Arc<Alert> {
        Arc::new(Alert {
            time_ns: 0,
            priority: Priority::Notice,
            rule: "r".into(),
            source: "syscall".into(),
            tags: vec![],
            hostname: "h".into(),
            line: line.into(),
            json: false,
            message: String::new(),
            output_fields: Vec::new(),
        })
    }

    #[test]
    fn unbuffered_writes_each_line_at_once() {
        let counters = Arc::new(Counters::default());
        let mut sink = WriterSink::new(Vec::new(), false, counters.clone());
        sink.deliver(&alert("a"));
        assert_eq!(sink.out, b"a\n");
        sink.deliver(&alert("b"));
        assert_eq!(sink.out, b"a\nb\n");
        assert_eq!(counters.delivered.load(Relaxed), 2);
    }

    #[test]
    fn buffered_writes_when_idle_or_full() {
        let counters = Arc::new(Counters::default());
        let mut sink = WriterSink::new(Vec::new(), true, counters.clone());
        sink.deliver(&alert("a"));
        sink.deliver(&alert("b"));
        assert!(sink.out.is_empty());
        assert_eq!(counters.delivered.load(Relaxed), 0);
        sink.idle();
        assert_eq!(sink.out, b"a\nb\n");
        assert_eq!(counters.delivered.load(Relaxed), 2);
        let long = "x".repeat(super::super::BATCH_BYTES);
        sink.deliver(&alert(&long));
        assert_eq!(
            sink.out.len(),
            4 + long.len() + 1,
            "a full batch is written without waiting"
        );
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(libc::EPIPE))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_are_counted_per_alert() {
        let counters = Arc::new(Counters::default());
        let mut sink = WriterSink::new(Broken, true, counters.clone());
        for _ in 0..3 {
            sink.deliver(&alert("a"));
        }
        sink.close(Instant::now());
        assert_eq!(counters.failed.load(Relaxed), 3);
        assert_eq!(counters.delivered.load(Relaxed), 0);
    }
}
