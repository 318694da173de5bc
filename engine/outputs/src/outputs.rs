//! The hub: one worker thread per enabled output, each behind its own bounded queue.
//!
//! By default backpressure never reaches the caller: [`Outputs::send`] offers the alert to every
//! queue with `try_send`, and an output whose queue is full sheds the alert (counted) while the
//! others take it. A caller with no reason to shed (a replay) turns on
//! [`Outputs::wait_for_room`], and `send` then waits for room until the caller's stop flag has
//! been set for longer than a grace period. A monitor thread turns the counters into log notices, at most one per output and
//! kind per interval, so no per-alert path logs.

use std::io;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{
    bounded, never, select, Receiver, RecvTimeoutError, SendTimeoutError, Sender, TrySendError,
};

use crate::alert::Alert;
use crate::alert::Priority;
use crate::config::OutputsConfig;
use crate::error::OutputsError;
use crate::sink::chat::ChatSink;
use crate::sink::file::FileSink;
use crate::sink::http::HttpSink;
use crate::sink::program::{ProcessGroups, ProgramSink};
use crate::sink::stdout::WriterSink;
use crate::sink::syslog::SyslogSink;
use crate::sink::Sink;
use crate::stats::{Counters, OutputsStats};

/// How often an idle worker wakes to write a pending batch and check its receiver.
const IDLE_TICK: Duration = Duration::from_millis(200);
/// After the shutdown deadline, how long workers still get to notice they must discard.
const ABANDON_GRACE: Duration = Duration::from_millis(100);

/// An output ready to run: its name, sink, counters, abandon flag and, for the program
/// output, the process groups of its programs.
type BuiltSink = (
    &'static str,
    Box<dyn Sink>,
    Arc<Counters>,
    Arc<AtomicBool>,
    Option<ProcessGroups>,
);

/// State one output's worker shares with the hub and the monitor.
struct Shared {
    name: &'static str,
    capacity: usize,
    counters: Arc<Counters>,
    /// Bumped by [`Outputs::reopen`]; the worker reopens when it sees a new value.
    reopen_generation: AtomicU64,
    /// Set when the shutdown deadline passed: drop what is still queued.
    abandon: Arc<AtomicBool>,
    close_deadline: Mutex<Option<Instant>>,
    /// The program output's process groups: ended when its worker is stuck at the deadline.
    groups: Option<ProcessGroups>,
    /// The least severe priority the output takes (the chat outputs' `minimum_priority`);
    /// alerts below it never enter its queue, so they are neither enqueued nor shed.
    minimum_priority: Option<Priority>,
}

struct Worker {
    shared: Arc<Shared>,
    queue: Option<Sender<Arc<Alert>>>,
    /// For the queue's length only, also after shutdown dropped `queue`.
    queued: Receiver<Arc<Alert>>,
    wake: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The alert outputs: construct once from the configuration, [`send`](Outputs::send) every
/// alert (rule alerts and internal ones alike), [`reopen`](Outputs::reopen) on SIGUSR1, and
/// [`shutdown`](Outputs::shutdown) at exit.
pub struct Outputs {
    workers: Vec<Worker>,
    done: Receiver<usize>,
    done_sender: Sender<usize>,
    monitor: Option<(Sender<()>, JoinHandle<()>)>,
    epoch: Instant,
    output_timeout: Duration,
    stopped: bool,
    /// Set by [`Outputs::wait_for_room`]: full queues make `send` wait instead of shed.
    backpressure: Option<Backpressure>,
    /// Consumers inside the engine (the web UI's store), fed after the outputs.
    subscribers: Vec<(Sender<Arc<Alert>>, Arc<AtomicU64>)>,
}

/// A consumer of every alert sent, from [`Outputs::subscribe`]: its bounded queue and what it
/// shed. The queue disconnects when the [`Outputs`] is dropped.
pub struct Subscription {
    /// The alerts, in the order they were sent.
    pub alerts: Receiver<Arc<Alert>>,
    shed: Arc<AtomicU64>,
}

impl Subscription {
    /// Alerts not queued because the subscriber's queue was full.
    pub fn shed(&self) -> u64 {
        self.shed.load(Relaxed)
    }
}

/// How long a waiting `send` sleeps on a full queue before it looks at the stop flag again.
const STOP_POLL: Duration = Duration::from_millis(50);

/// After a stop, how many graces a send still waits for room in the queue of an output that is
/// slow but not stuck.
const LAST_GRACES: u32 = 4;

/// `send` waits for room in full queues until `stop` has been set for `grace`, and after that
/// still for the outputs that are not stuck, up to [`LAST_GRACES`] graces.
struct Backpressure {
    stop: Arc<AtomicBool>,
    grace: Duration,
    /// Milliseconds since the hub's epoch (+1) at which a send first saw `stop`, 0 before.
    stop_seen_ms: AtomicU64,
    epoch: Instant,
    output_timeout: Duration,
}

impl Backpressure {
    /// Whether `output` is busy with one delivery for longer than `output_timeout`.
    fn stuck(&self, output: &Shared) -> bool {
        let busy_since = output.counters.busy_since_ms.load(Relaxed);
        busy_since != 0
            && millis_since(self.epoch).saturating_sub(busy_since)
                >= duration_ms(self.output_timeout)
    }

    /// Whether the stop flag has been set for longer than `graces` times the grace.
    fn gave_up(&self, graces: u32) -> bool {
        if !self.stop.load(Relaxed) {
            return false;
        }
        let now = millis_since(self.epoch);
        let seen = match self.stop_seen_ms.compare_exchange(0, now, Relaxed, Relaxed) {
            Ok(_) => now,
            Err(seen) => seen,
        };
        now.saturating_sub(seen) >= duration_ms(self.grace.saturating_mul(graces))
    }

    /// Puts `alert` in `queue`, waiting while it is full; false when the queue is gone, or the
    /// grace is over and the output is stuck (busy with one delivery for longer than
    /// `output_timeout`), or [`LAST_GRACES`] graces are over: an output that still delivers
    /// gets the alerts detected before a stop too, unless it is too slow to take them soon.
    fn send(&self, queue: &Sender<Arc<Alert>>, mut alert: Arc<Alert>, output: &Shared) -> bool {
        loop {
            match queue.try_send(alert) {
                Ok(()) => return true,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(back)) => alert = back,
            }
            if self.gave_up(1) && (self.stuck(output) || self.gave_up(LAST_GRACES)) {
                return false;
            }
            match queue.send_timeout(alert, STOP_POLL) {
                Ok(()) => return true,
                Err(SendTimeoutError::Disconnected(_)) => return false,
                Err(SendTimeoutError::Timeout(back)) => alert = back,
            }
        }
    }
}

impl Backpressure {
    /// Puts `alert` in a subscriber's `queue`, waiting while it is full until the stop flag has
    /// been set for [`LAST_GRACES`] graces; false when it was not queued.
    fn offer(&self, queue: &Sender<Arc<Alert>>, mut alert: Arc<Alert>) -> bool {
        loop {
            match queue.send_timeout(alert, STOP_POLL) {
                Ok(()) => return true,
                Err(SendTimeoutError::Disconnected(_)) => return false,
                Err(SendTimeoutError::Timeout(back)) => alert = back,
            }
            if self.gave_up(LAST_GRACES) {
                return false;
            }
        }
    }
}

/// What [`Outputs::shutdown`] achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Outputs still busy at the deadline (a hanging receiver); their threads were left to
    /// finish on their own and whatever they still held was discarded.
    pub unfinished: Vec<&'static str>,
    /// The counters at the end.
    pub stats: OutputsStats,
}

impl Outputs {
    /// Validates `config`, builds every enabled output and starts its worker.
    ///
    /// Nothing is written before the first alert: the program is started and the HTTP
    /// connection made on first use. Certificate files are read here, and the output file is
    /// opened once (created if missing) to prove it can be written.
    ///
    /// # Errors
    /// [`OutputsError::Config`] with every configuration problem found, an output file that
    /// cannot be opened for appending included;
    /// [`OutputsError::Spawn`] when a thread cannot be started.
    pub fn new(config: &OutputsConfig) -> Result<Outputs, OutputsError> {
        config.validate().map_err(OutputsError::Config)?;
        let buffered = config.buffered_outputs;
        let mut sinks: Vec<BuiltSink> = Vec::new();
        let mut errors = Vec::new();
        let counters = || Arc::new(Counters::default());
        let flag = || Arc::new(AtomicBool::new(false));
        if config.stdout_output.enabled {
            let c = counters();
            sinks.push((
                "stdout",
                Box::new(WriterSink::new(io::stdout(), buffered, c.clone())),
                c,
                flag(),
                None,
            ));
        }
        if config.file_output.enabled {
            if let Err(e) = FileSink::check_writable(config.file_output.filename.as_ref()) {
                errors.push(e);
            }
            let c = counters();
            let file = &config.file_output;
            sinks.push((
                "file",
                Box::new(FileSink::new(
                    file.filename.clone().into(),
                    file.keep_alive,
                    buffered,
                    c.clone(),
                )),
                c,
                flag(),
                None,
            ));
        }
        if config.syslog_output.enabled {
            let c = counters();
            sinks.push((
                "syslog",
                Box::new(SyslogSink::new(c.clone())),
                c,
                flag(),
                None,
            ));
        }
        if config.program_output.enabled {
            let (c, abandon, groups) = (counters(), flag(), ProcessGroups::default());
            let program = &config.program_output;
            let sink = ProgramSink::new(
                program.program.clone(),
                program.keep_alive,
                buffered,
                c.clone(),
                abandon.clone(),
                groups.clone(),
            );
            sinks.push(("program", Box::new(sink), c, abandon, Some(groups)));
        }
        if config.http_output.enabled {
            let c = counters();
            match HttpSink::build(&config.http_output, c.clone()) {
                Ok(sink) => sinks.push(("http", Box::new(sink), c, flag(), None)),
                Err(e) => errors.extend(e),
            }
        }
        let mut minimums: Vec<(&'static str, Priority)> = Vec::new();
        for (kind, chat) in config.chat_outputs() {
            if !chat.enabled {
                continue;
            }
            let (c, abandon) = (counters(), flag());
            match ChatSink::build(kind, chat, c.clone(), abandon.clone()) {
                Ok(sink) => sinks.push((kind.name(), Box::new(sink), c, abandon, None)),
                Err(e) => errors.extend(e),
            }
            minimums.push((kind.name(), chat.minimum().unwrap_or(Priority::Debug)));
        }
        if !errors.is_empty() {
            return Err(OutputsError::Config(errors));
        }

        let (done_sender, done) = bounded(sinks.len().max(1));
        let mut outputs = Outputs {
            workers: Vec::with_capacity(sinks.len()),
            done,
            done_sender,
            monitor: None,
            epoch: Instant::now(),
            output_timeout: config.output_timeout(),
            stopped: false,
            backpressure: None,
            subscribers: Vec::new(),
        };
        let capacity = config.outputs_queue.effective_capacity();
        for (index, (name, sink, counters, abandon, groups)) in sinks.into_iter().enumerate() {
            let shared = Arc::new(Shared {
                name,
                capacity,
                counters,
                reopen_generation: AtomicU64::new(0),
                abandon,
                close_deadline: Mutex::new(None),
                groups,
                minimum_priority: minimums.iter().find(|(n, _)| *n == name).map(|(_, p)| *p),
            });
            let (queue, alerts) = bounded(capacity);
            let (wake, wakes) = bounded(1);
            let queued = alerts.clone();
            let worker = WorkerLoop {
                sink,
                alerts,
                wakes,
                shared: shared.clone(),
                epoch: outputs.epoch,
                done: outputs.done_sender.clone(),
                index,
            };
            // On error the partly built hub is dropped, which stops the workers already started.
            let thread = thread::Builder::new()
                .name(format!("output-{name}"))
                .spawn(move || worker.run())
                .map_err(|source| OutputsError::Spawn {
                    output: name,
                    source,
                })?;
            outputs.workers.push(Worker {
                shared,
                queue: Some(queue),
                queued,
                wake: Some(wake),
                thread: Some(thread),
            });
        }
        let monitor = Monitor {
            outputs: outputs.workers.iter().map(|w| w.shared.clone()).collect(),
            interval: config.notice_interval.max(Duration::from_millis(10)),
            output_timeout: outputs.output_timeout,
            epoch: outputs.epoch,
        };
        let (stop, stops) = bounded(0);
        let thread = thread::Builder::new()
            .name("output-monitor".into())
            .spawn(move || monitor.run(stops))
            .map_err(|source| OutputsError::Spawn {
                output: "monitor",
                source,
            })?;
        outputs.monitor = Some((stop, thread));
        Ok(outputs)
    }

    /// Makes [`send`](Outputs::send) wait for room in a full queue instead of shedding, for a
    /// caller that can hold back its own input (a replay): nothing is shed while `stop` is
    /// clear. Once `stop` is set, sends still wait for `grace` (counted from the first send
    /// that saw it), then shed what does not fit in an output stuck in one delivery for longer
    /// than `output_timeout`, and after four graces in any output: a stop delivers what was
    /// detected to every healthy output and never hangs on a stuck one.
    pub fn wait_for_room(&mut self, stop: Arc<AtomicBool>, grace: Duration) {
        self.backpressure = Some(Backpressure {
            stop,
            grace,
            stop_seen_ms: AtomicU64::new(0),
            epoch: self.epoch,
            output_timeout: self.output_timeout,
        });
    }

    /// Adds a consumer that gets every alert sent from now on through a queue of `capacity`,
    /// with the same choice as the outputs: a full queue sheds (counted in
    /// [`Subscription::shed`]) unless [`wait_for_room`](Outputs::wait_for_room) was called.
    pub fn subscribe(&mut self, capacity: usize) -> Subscription {
        let (tx, alerts) = bounded(capacity.max(1));
        let shed = Arc::new(AtomicU64::new(0));
        self.subscribers.push((tx, shed.clone()));
        Subscription { alerts, shed }
    }

    /// Moves every subscription of this hub to `next`, the hub replacing it (a reload that
    /// rebuilt the outputs): its consumers go on receiving every alert, from `next` on.
    pub fn hand_over_subscriptions(&mut self, next: &mut Outputs) {
        next.subscribers.append(&mut self.subscribers);
    }

    /// Offers `alert` to every enabled output. An output whose queue is full sheds it, counted
    /// in that output's `shed`; never blocks unless [`wait_for_room`](Outputs::wait_for_room)
    /// was called, in which case it waits for room as that method says.
    pub fn send(&self, alert: Alert) {
        let alert = Arc::new(alert);
        for worker in &self.workers {
            let Some(queue) = &worker.queue else { continue };
            if worker
                .shared
                .minimum_priority
                .is_some_and(|minimum| alert.priority > minimum)
            {
                continue;
            }
            let counters = &worker.shared.counters;
            let taken = match &self.backpressure {
                Some(backpressure) => backpressure.send(queue, alert.clone(), &worker.shared),
                None => queue.try_send(alert.clone()).is_ok(),
            };
            if taken {
                counters.enqueued.fetch_add(1, Relaxed);
            } else {
                counters.shed.fetch_add(1, Relaxed);
            }
        }
        for (queue, shed) in &self.subscribers {
            let taken = match &self.backpressure {
                Some(backpressure) => backpressure.offer(queue, alert.clone()),
                None => queue.try_send(alert.clone()).is_ok(),
            };
            if !taken {
                shed.fetch_add(1, Relaxed);
            }
        }
    }

    /// Asks every output to close and reopen its destination: the file output reopens its file
    /// (log rotation; the engine calls this on SIGUSR1), the program output restarts its
    /// program. Never blocks; each worker acts before its next alert.
    pub fn reopen(&self) {
        for worker in &self.workers {
            worker.shared.reopen_generation.fetch_add(1, Release);
            if let Some(wake) = &worker.wake {
                // Full means a wake-up is already pending, which is enough.
                let _ = wake.try_send(());
            }
        }
    }

    /// The counters of every enabled output.
    pub fn stats(&self) -> OutputsStats {
        let now_ms = millis_since(self.epoch);
        let outputs = self
            .workers
            .iter()
            .map(|w| {
                let shared = &w.shared;
                let busy_since = shared.counters.busy_since_ms.load(Relaxed);
                let blocked = busy_since != 0
                    && now_ms.saturating_sub(busy_since) >= duration_ms(self.output_timeout);
                let queued = w.queued.len();
                shared
                    .counters
                    .snapshot(shared.name, shared.capacity, queued, blocked)
            })
            .collect();
        OutputsStats { outputs }
    }

    /// Stops accepting alerts, lets every output deliver what it holds until `deadline` from
    /// now, then discards what is left (counted as `discarded`). Outputs still stuck in a
    /// delivery at the deadline are named in the report and their threads left to end alone.
    pub fn shutdown(mut self, deadline: Duration) -> ShutdownReport {
        self.stop(deadline)
    }

    fn stop(&mut self, deadline: Duration) -> ShutdownReport {
        self.stopped = true;
        self.subscribers.clear();
        let deadline_at = Instant::now() + deadline;
        for worker in &mut self.workers {
            if let Ok(mut close) = worker.shared.close_deadline.lock() {
                *close = Some(deadline_at);
            }
            // Dropping the senders lets each worker drain its queue and finish.
            worker.queue = None;
            worker.wake = None;
        }
        let mut finished = vec![false; self.workers.len()];
        let mut wait_until = deadline_at;
        let mut abandoned = false;
        while finished.iter().any(|f| !f) {
            match self.done.recv_deadline(wait_until) {
                Ok(index) => {
                    if let Some(f) = finished.get_mut(index) {
                        *f = true;
                    }
                }
                Err(_) if !abandoned => {
                    abandoned = true;
                    for (worker, _) in self.workers.iter().zip(&finished).filter(|(_, f)| !**f) {
                        worker.shared.abandon.store(true, Release);
                        // A program that stopped reading holds its worker in a write: ending it
                        // frees the worker (and leaves no process behind).
                        if let Some(groups) = &worker.shared.groups {
                            groups.end_all();
                        }
                    }
                    wait_until = Instant::now() + ABANDON_GRACE;
                }
                Err(_) => break,
            }
        }
        let mut unfinished = Vec::new();
        for (worker, finished) in self.workers.iter_mut().zip(&finished) {
            match (finished, worker.thread.take()) {
                (true, Some(thread)) => {
                    let _ = thread.join();
                }
                (false, Some(_detached)) => {
                    unfinished.push(worker.shared.name);
                    settle_abandoned(worker);
                }
                _ => {}
            }
        }
        if let Some((stop, thread)) = self.monitor.take() {
            drop(stop);
            let _ = thread.join();
        }
        if !unfinished.is_empty() {
            log::warn!(
                "outputs still blocked at shutdown, discarding what they hold: {}",
                unfinished.join(", ")
            );
        }
        ShutdownReport {
            unfinished,
            stats: self.stats(),
        }
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        if !self.stopped {
            self.stop(self.output_timeout);
        }
    }
}

/// Counts as discarded what an output still stuck at the deadline holds: its queue, drained
/// here, and the alerts in its sink (accepted, neither delivered nor failed), so that the
/// report accounts for every alert it was given. Should the stuck delivery end later, it
/// comes after the report and changes nothing in it.
fn settle_abandoned(worker: &Worker) {
    let counters = &worker.shared.counters;
    let drained = worker.queued.try_iter().count() as u64;
    counters.discarded.fetch_add(drained, Relaxed);
    let settled = counters.delivered.load(Relaxed)
        + counters.failed.load(Relaxed)
        + counters.discarded.load(Relaxed);
    let in_sink = counters.enqueued.load(Relaxed).saturating_sub(settled);
    counters.discarded.fetch_add(in_sink, Relaxed);
}

fn millis_since(epoch: Instant) -> u64 {
    // +1 keeps 0 free to mean "not busy".
    duration_ms(epoch.elapsed()).saturating_add(1)
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

struct WorkerLoop {
    sink: Box<dyn Sink>,
    alerts: Receiver<Arc<Alert>>,
    wakes: Receiver<()>,
    shared: Arc<Shared>,
    epoch: Instant,
    done: Sender<usize>,
    index: usize,
}

impl WorkerLoop {
    fn run(mut self) {
        let mut reopen_seen = 0;
        let mut wakes = self.wakes.clone();
        loop {
            if self.shared.abandon.load(Acquire) {
                let discarded = self.alerts.try_iter().count() as u64;
                self.shared.counters.discarded.fetch_add(discarded, Relaxed);
                break;
            }
            select! {
                recv(self.alerts) -> alert => match alert {
                    Ok(alert) => {
                        self.check_reopen(&mut reopen_seen);
                        self.busy(|sink| sink.deliver(&alert));
                        if self.alerts.is_empty() {
                            self.busy(|sink| sink.idle());
                        }
                    }
                    Err(_) => break,
                },
                recv(wakes) -> wake => {
                    if wake.is_err() {
                        wakes = never();
                    }
                    self.check_reopen(&mut reopen_seen);
                },
                default(IDLE_TICK) => {
                    self.check_reopen(&mut reopen_seen);
                    self.busy(|sink| sink.idle());
                },
            }
        }
        let deadline = self
            .shared
            .close_deadline
            .lock()
            .ok()
            .and_then(|d| *d)
            .unwrap_or_else(Instant::now);
        self.busy(|sink| sink.close(deadline));
        let _ = self.done.send(self.index);
    }

    fn check_reopen(&mut self, seen: &mut u64) {
        let generation = self.shared.reopen_generation.load(Acquire);
        if generation != *seen {
            *seen = generation;
            self.busy(|sink| sink.reopen());
        }
    }

    /// Runs `f` on the sink with the busy mark set, so the monitor can see a stuck delivery.
    fn busy(&mut self, f: impl FnOnce(&mut dyn Sink)) {
        self.shared
            .counters
            .busy_since_ms
            .store(millis_since(self.epoch), Relaxed);
        f(self.sink.as_mut());
        self.shared.counters.busy_since_ms.store(0, Relaxed);
    }
}

/// Per output, what the last notices reported.
#[derive(Default)]
struct Noticed {
    shed: u64,
    failed: u64,
    shed_at: Option<Instant>,
    failed_at: Option<Instant>,
    blocked_at: Option<Instant>,
}

struct Monitor {
    outputs: Vec<Arc<Shared>>,
    interval: Duration,
    output_timeout: Duration,
    epoch: Instant,
}

impl Monitor {
    fn run(self, stop: Receiver<()>) {
        let mut noticed: Vec<Noticed> = self.outputs.iter().map(|_| Noticed::default()).collect();
        let tick = self
            .interval
            .min(self.output_timeout)
            .max(Duration::from_millis(10));
        while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(tick) {
            self.notice(&mut noticed, false);
        }
        // What happened since the last notice is told before the hub ends, also in a run
        // shorter than one interval.
        self.notice(&mut noticed, true);
    }

    /// Logs, per output, what was shed or failed since the last notice and whether it is
    /// blocked, at most once per interval unless `last`.
    fn notice(&self, noticed: &mut [Noticed], last: bool) {
        let now = Instant::now();
        let due = |at: Option<Instant>| {
            last || at.is_none_or(|at| now.duration_since(at) >= self.interval)
        };
        for (shared, seen) in self.outputs.iter().zip(noticed.iter_mut()) {
            let c = &shared.counters;
            let shed = c.shed.load(Relaxed);
            if shed > seen.shed && due(seen.shed_at) {
                log::warn!(
                    "{} output: {} alerts shed since the last notice: its queue ({} alerts) was full, the output is \
                     slower than the alert rate or blocked (other outputs are unaffected)",
                    shared.name,
                    shed - seen.shed,
                    shared.capacity
                );
                seen.shed = shed;
                seen.shed_at = Some(now);
            }
            let failed = c.failed.load(Relaxed);
            if failed > seen.failed && due(seen.failed_at) {
                let error = c.take_last_error().unwrap_or_default();
                log::error!(
                    "{} output: {} alerts failed since the last notice; last error: {error}",
                    shared.name,
                    failed - seen.failed
                );
                seen.failed = failed;
                seen.failed_at = Some(now);
            }
            let busy_since = c.busy_since_ms.load(Relaxed);
            let busy_for = millis_since(self.epoch).saturating_sub(busy_since);
            if !last
                && busy_since != 0
                && busy_for >= duration_ms(self.output_timeout)
                && due(seen.blocked_at)
            {
                log::error!(
                    "{} output blocked for {busy_for} ms (output_timeout {} ms); its alerts queue up and are shed \
                     when the queue is full",
                    shared.name,
                    duration_ms(self.output_timeout)
                );
                seen.blocked_at = Some(now);
            }
        }
    }
}
