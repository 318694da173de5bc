//! `program_output`: alert lines to the stdin of `sh -c PROGRAM`.
//!
//! With `keep_alive` one program runs and reads every alert. When it dies, the alerts it had
//! not read at all are still in the pipe: the pipe's unread byte count (`FIONREAD` on our end)
//! tells which of the most recently written alerts they are, and they are written again to the
//! respawned program. Only an alert the dead program had read part of is lost, and counted
//! (`lost_after_write`); what a program read completely but did not act on before dying is
//! beyond what a writer can see. Respawns back off exponentially while the program keeps dying
//! young.
//!
//! Every program runs in its own process group, and the groups are remembered until they have
//! no process left: whatever a program leaves running (a pipeline's other commands, something
//! it started in the background) is ended at shutdown, so nothing outlives the engine.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::{Sink, BATCH_BYTES};
use crate::alert::Alert;
use crate::stats::Counters;
use crate::sys;

/// A program that ran at least this long before dying is respawned without delay.
const HEALTHY_RUN: Duration = Duration::from_secs(1);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Attempts to write one batch before its alerts are counted as failed.
const WRITE_ATTEMPTS: u32 = 4;
/// At shutdown, how long the processes left in a program's group get after SIGTERM.
const TERM_GRACE: Duration = Duration::from_millis(200);
/// Groups remembered before the ones with no process left are forgotten without waiting for
/// an idle moment (one program per alert starts a group per alert).
const GROUPS_PRUNE_AT: usize = 64;

/// The process groups of the programs this output started that may still have processes,
/// shared with the hub, which ends them when a worker is stuck at the shutdown deadline.
#[derive(Clone, Default)]
pub(crate) struct ProcessGroups(Arc<Mutex<Vec<u32>>>);

impl ProcessGroups {
    fn track(&self, pgid: u32) {
        if let Ok(mut groups) = self.0.lock() {
            if groups.len() >= GROUPS_PRUNE_AT {
                groups.retain(|&g| group_alive(g));
            }
            groups.push(pgid);
        }
    }

    /// Forgets the groups that have no process left.
    fn prune(&self) {
        if let Ok(mut groups) = self.0.lock() {
            groups.retain(|&g| group_alive(g));
        }
    }

    /// Ends every process left in the groups: SIGTERM, then SIGKILL to what is still there
    /// after [`TERM_GRACE`].
    pub(crate) fn end_all(&self) {
        let Ok(mut groups) = self.0.lock() else {
            return;
        };
        groups.retain(|&g| sys::kill_process_group(g, libc::SIGTERM).is_ok());
        let until = Instant::now() + TERM_GRACE;
        while !groups.is_empty() && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
            groups.retain(|&g| group_alive(g));
        }
        for g in groups.drain(..) {
            let _ = sys::kill_process_group(g, libc::SIGKILL);
        }
    }
}

/// Whether the process group `pgid` still has a process (a zombie counts until it is reaped).
fn group_alive(pgid: u32) -> bool {
    sys::kill_process_group(pgid, 0).is_ok()
}

/// One alert waiting to be written, and whether it was already counted as delivered (it was
/// written once to a program that died before reading it).
type Queued = (Arc<Alert>, bool);

struct Running {
    child: Child,
    stdin: ChildStdin,
    pipe_capacity: usize,
    started: Instant,
}

/// An alert whose bytes went into the current program's pipe.
struct Written {
    alert: Arc<Alert>,
    /// Its bytes in the pipe: the whole line, or a prefix when the write broke off.
    len: usize,
    complete: bool,
}

pub(crate) struct ProgramSink {
    program: String,
    keep_alive: bool,
    buffered: bool,
    pending: VecDeque<Queued>,
    pending_bytes: usize,
    running: Option<Running>,
    /// The most recent alerts written to the running program, newest last, covering at least
    /// the pipe's capacity: any older alert has certainly been read.
    window: VecDeque<Written>,
    window_bytes: usize,
    spawned_once: bool,
    backoff: Duration,
    counters: Arc<Counters>,
    /// Set by the hub at the shutdown deadline: stop waiting out a backoff.
    abandon: Arc<AtomicBool>,
    /// Programs closed by a reopen, finishing what is left in their pipe; reaped when done.
    retiring: Vec<Child>,
    /// Every program's process group, ended at shutdown.
    groups: ProcessGroups,
}

impl ProgramSink {
    pub(crate) fn new(
        program: String,
        keep_alive: bool,
        buffered: bool,
        counters: Arc<Counters>,
        abandon: Arc<AtomicBool>,
        groups: ProcessGroups,
    ) -> Self {
        ProgramSink {
            program,
            keep_alive,
            buffered,
            pending: VecDeque::new(),
            pending_bytes: 0,
            running: None,
            window: VecDeque::new(),
            window_bytes: 0,
            spawned_once: false,
            backoff: Duration::ZERO,
            counters,
            abandon,
            retiring: Vec::new(),
            groups,
        }
    }

    /// Starts `sh -c PROGRAM` in a process group of its own, remembered in `groups`.
    fn start(&self) -> io::Result<Child> {
        let child = self.command().spawn()?;
        self.groups.track(child.id());
        Ok(child)
    }

    fn command(&self) -> Command {
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(&self.program).stdin(Stdio::piped());
        // Its own process group, so a terminal's ^C reaches us first and shutdown can end a
        // whole pipeline (`jq … | curl …`).
        command.process_group(0);
        command
    }

    fn spawn(&mut self) -> io::Result<()> {
        let resume = Instant::now() + self.backoff;
        while !self.abandon.load(Acquire) {
            let left = resume.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            thread::sleep(left.min(Duration::from_millis(20)));
        }
        if self.abandon.load(Acquire) {
            // Past the shutdown deadline: a new program would only be killed again.
            return Err(io::Error::other("shutting down"));
        }
        let mut child = self.start()?;
        let Some(stdin) = child.stdin.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("the program's stdin was not piped"));
        };
        let pipe_capacity = sys::pipe_capacity(stdin.as_fd()).unwrap_or(64 * 1024);
        if self.spawned_once {
            self.counters.respawns.fetch_add(1, Relaxed);
        }
        self.spawned_once = true;
        self.running = Some(Running {
            child,
            stdin,
            pipe_capacity,
            started: Instant::now(),
        });
        Ok(())
    }

    /// Takes from the window the alerts among the last `unread` bytes of the pipe: those the
    /// program never started reading (oldest first), and counts the one it read only in part.
    fn take_unread(&mut self, unread: usize) -> VecDeque<Queued> {
        let mut covered = 0usize;
        let mut unread_alerts = VecDeque::new();
        while let Some(written) = self.window.pop_back() {
            if covered + written.len <= unread {
                covered += written.len;
                unread_alerts.push_front((written.alert, written.complete));
                continue;
            }
            if covered < unread {
                // The program read the start of this alert but not its end.
                if written.complete {
                    self.counters.lost_after_write.fetch_add(1, Relaxed);
                } else {
                    self.counters
                        .failed(1, "the program died while reading the alert");
                }
            }
            break;
        }
        self.window.clear();
        self.window_bytes = 0;
        unread_alerts
    }

    /// The program is gone (or unusable): recovers the alerts it never read into the front of
    /// `queue`, reaps it, and sets the backoff for the next spawn.
    fn bury(&mut self, queue: &mut VecDeque<Queued>) {
        let Some(running) = self.running.take() else {
            return;
        };
        let unread = sys::pipe_unread_bytes(running.stdin.as_fd()).unwrap_or(0);
        for item in self.take_unread(unread).into_iter().rev() {
            queue.push_front(item);
        }
        let lived = running.started.elapsed();
        end(running);
        self.backoff = if lived >= HEALTHY_RUN {
            Duration::ZERO
        } else {
            (self.backoff * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF)
        };
    }

    /// Writes `queue` to the running program, respawning it when it dies on the way.
    fn write_queue(&mut self, mut queue: VecDeque<Queued>) {
        let mut attempts = 0;
        while !queue.is_empty() {
            if attempts == WRITE_ATTEMPTS {
                self.fail_all(queue, "the program keeps dying");
                return;
            }
            attempts += 1;
            if self.running.is_none() {
                if let Err(e) = self.spawn() {
                    let error = format!("starting `sh -c {}`: {e}", self.program);
                    self.fail_all(queue, error);
                    return;
                }
            }
            let Some(running) = self.running.as_mut() else {
                continue;
            };
            let mut bytes = Vec::with_capacity(queue.iter().map(|(a, _)| a.line.len() + 1).sum());
            for (alert, _) in &queue {
                bytes.extend_from_slice(alert.line.as_bytes());
                bytes.push(b'\n');
            }
            let (written, error) = write_some(&mut running.stdin, &bytes);
            let pipe_capacity = running.pipe_capacity;
            let mut offset = 0;
            while let Some((alert, counted)) = queue.pop_front() {
                let len = alert.line.len() + 1;
                if offset + len <= written {
                    if counted {
                        self.counters.resent.fetch_add(1, Relaxed);
                    } else {
                        self.counters.delivered(1);
                    }
                    self.remember(
                        Written {
                            alert,
                            len,
                            complete: true,
                        },
                        pipe_capacity,
                    );
                    offset += len;
                } else {
                    if written > offset {
                        self.remember(
                            Written {
                                alert,
                                len: written - offset,
                                complete: false,
                            },
                            pipe_capacity,
                        );
                    } else {
                        queue.push_front((alert, counted));
                    }
                    break;
                }
            }
            if error.is_some() {
                // EPIPE: the program is gone; whatever it did not read comes back into `queue`.
                self.bury(&mut queue);
            }
        }
    }

    fn remember(&mut self, written: Written, pipe_capacity: usize) {
        self.window_bytes += written.len;
        self.window.push_back(written);
        while let Some(front) = self.window.front() {
            if self.window_bytes - front.len < pipe_capacity {
                break;
            }
            self.window_bytes -= front.len;
            self.window.pop_front();
        }
    }

    fn fail_all(&mut self, queue: VecDeque<Queued>, error: impl std::fmt::Display) {
        let (counted, uncounted): (Vec<_>, Vec<_>) =
            queue.into_iter().partition(|(_, counted)| *counted);
        if !uncounted.is_empty() {
            self.counters.failed(uncounted.len() as u64, &error);
        }
        self.counters
            .lost_after_write
            .fetch_add(counted.len() as u64, Relaxed);
    }

    fn write_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let queue = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        self.write_queue(queue);
    }

    /// Reaps a program that exited while idle, and hands the alerts it left unread to a new one.
    fn check_health(&mut self) {
        let exited = match self.running.as_mut() {
            Some(running) => !matches!(running.child.try_wait(), Ok(None)),
            None => false,
        };
        if exited {
            let mut queue = VecDeque::new();
            self.bury(&mut queue);
            if !queue.is_empty() {
                self.write_queue(queue);
            }
        }
    }

    /// Without keep_alive: one program per alert, stdin closed after the line, then reaped.
    fn run_once(&mut self, alert: &Alert) {
        let mut child = match self.start() {
            Ok(child) => child,
            Err(e) => {
                self.counters
                    .failed(1, format_args!("starting `sh -c {}`: {e}", self.program));
                return;
            }
        };
        let mut line = Vec::with_capacity(alert.line.len() + 1);
        line.extend_from_slice(alert.line.as_bytes());
        line.push(b'\n');
        let result = match child.stdin.take() {
            Some(mut stdin) => stdin.write_all(&line),
            None => Err(io::Error::other("the program's stdin was not piped")),
        };
        match result {
            Ok(()) => self.counters.delivered(1),
            Err(e) => self
                .counters
                .failed(1, format_args!("writing to `sh -c {}`: {e}", self.program)),
        }
        let _ = child.wait();
    }
}

/// Writes as much of `bytes` as the pipe takes; returns how much went in and the error that
/// stopped it, if any.
fn write_some(out: &mut impl Write, bytes: &[u8]) -> (usize, Option<io::Error>) {
    let mut written = 0;
    while written < bytes.len() {
        match out.write(&bytes[written..]) {
            Ok(0) => return (written, Some(io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (written, Some(e)),
        }
    }
    (written, None)
}

impl Sink for ProgramSink {
    fn deliver(&mut self, alert: &Arc<Alert>) {
        if !self.keep_alive {
            self.run_once(alert);
            return;
        }
        self.pending_bytes += alert.line.len() + 1;
        self.pending.push_back((alert.clone(), false));
        if !self.buffered || self.pending_bytes >= BATCH_BYTES {
            self.write_pending();
        }
    }

    fn idle(&mut self) {
        if self.keep_alive {
            self.write_pending();
            self.check_health();
            self.retiring
                .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
        }
        self.groups.prune();
    }

    fn reopen(&mut self) {
        // As Falco: close the program (it reads what is left in its pipe, then sees EOF) and
        // start a new one at the next alert. The old one is reaped later, not waited for here.
        self.write_pending();
        if let Some(running) = self.running.take() {
            self.window.clear();
            self.window_bytes = 0;
            drop(running.stdin);
            self.retiring.push(running.child);
        }
        self.counters.reopens.fetch_add(1, Relaxed);
    }

    fn close(&mut self, deadline: Instant) {
        if self.keep_alive {
            self.write_pending();
            self.drain(deadline);
            if let Some(running) = self.running.take() {
                drop(running.stdin);
                self.retiring.push(running.child);
            }
            for mut child in self.retiring.drain(..) {
                wait_until(&mut child, deadline);
            }
        }
        // The programs are done; what they left running in their groups must not outlive us.
        self.groups.end_all();
    }
}

impl ProgramSink {
    /// At shutdown: waits until the program has read everything written to it, respawning it
    /// if it dies with alerts unread, until `deadline`; what it still has not read then is
    /// counted as lost.
    fn drain(&mut self, deadline: Instant) {
        let mut pause = Duration::from_millis(1);
        loop {
            let Some(running) = self.running.as_mut() else {
                return;
            };
            if !matches!(running.child.try_wait(), Ok(None)) {
                let mut queue = VecDeque::new();
                self.bury(&mut queue);
                if queue.is_empty() {
                    return;
                }
                if Instant::now() >= deadline {
                    self.fail_all(queue, "the program died; shutdown deadline reached");
                    return;
                }
                self.write_queue(queue);
                continue;
            }
            let unread = sys::pipe_unread_bytes(running.stdin.as_fd()).unwrap_or(0);
            if unread == 0 {
                return;
            }
            if Instant::now() >= deadline {
                // Stop it first so the pipe no longer changes, then count what it left.
                if let Some(Running {
                    mut child, stdin, ..
                }) = self.running.take()
                {
                    kill(&mut child);
                    let unread = sys::pipe_unread_bytes(stdin.as_fd()).unwrap_or(unread);
                    let unread_alerts = self.take_unread(unread);
                    self.fail_all(
                        unread_alerts,
                        "the program had not read them by the shutdown deadline",
                    );
                }
                return;
            }
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

/// Ends a program we no longer use: closes its stdin, kills its process group if it still
/// runs, and reaps it.
fn end(running: Running) {
    let Running {
        mut child, stdin, ..
    } = running;
    drop(stdin);
    kill(&mut child);
}

/// Kills `child` and its process group unless it has exited, and reaps it.
fn kill(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        let _ = sys::kill_process_group(child.id(), libc::SIGKILL);
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// Waits for `child` to exit until `deadline`, then kills its process group.
fn wait_until(child: &mut Child, deadline: Instant) {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) if Instant::now() >= deadline => break,
            Ok(None) => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
        }
    }
    kill(child);
}
