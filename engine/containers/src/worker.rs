//! The worker thread: one async task per runtime socket, each connecting, listing,
//! answering lookups and following events, reconnecting with backoff when its runtime fails.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::cache::{ContainerCache, Request};
use crate::config::{EngineKind, EnginesConfig};
use crate::cri::{CriClient, CONTAINER_RUNNING};
use crate::docker::{short_id, Change, DockerClient};
use crate::RuntimeError;

/// How long an unresolved container waits before an event of it asks again.
pub const RETRY_LOOKUP: Duration = Duration::from_secs(1);
/// First pause after a runtime failed; doubled up to `max_backoff`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// How often a CRI runtime is listed to see containers start and exit.
const CRI_POLL: Duration = Duration::from_secs(1);
/// Lookups waiting for one runtime's task.
const ENGINE_QUEUE: usize = 1024;

/// The running worker and the cache it fills.
#[derive(Debug)]
pub struct Collector {
    /// What the state stage reads.
    pub cache: Arc<ContainerCache>,
    /// Runtime sockets asked.
    endpoints: u64,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Collector {
    /// Waits up to `max` until every runtime socket has been listed or has failed once, so
    /// the containers running now are in the cache; false when the time ran out.
    pub fn wait_settled(&self, max: Duration) -> bool {
        let end = std::time::Instant::now() + max;
        loop {
            if self.cache.stats.settled.load(Ordering::Acquire) >= self.endpoints {
                return true;
            }
            if std::time::Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the worker and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the worker for the enabled runtimes of `cfg`.
///
/// # Errors
/// When the thread or its async runtime cannot be created.
pub fn start(cfg: EnginesConfig) -> std::io::Result<Collector> {
    let (cache, rx) = ContainerCache::new(cfg.max_containers, RETRY_LOOKUP);
    let endpoints = cfg.endpoints().len() as u64;
    let (stop_tx, stop_rx) = oneshot::channel();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let c = cache.clone();
    let thread = std::thread::Builder::new()
        .name("containers".into())
        .spawn(move || rt.block_on(run(cfg, c, rx, stop_rx)))?;
    Ok(Collector {
        cache,
        endpoints,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

async fn run(
    cfg: EnginesConfig,
    cache: Arc<ContainerCache>,
    mut requests: mpsc::Receiver<Request>,
    stop: oneshot::Receiver<()>,
) {
    let mut engines = Vec::new();
    for (kind, path) in cfg.endpoints() {
        let (tx, rx) = mpsc::channel(ENGINE_QUEUE);
        engines.push(tx);
        tokio::spawn(engine_loop(
            kind,
            path,
            cache.clone(),
            rx,
            cfg.request_timeout,
            cfg.max_backoff,
        ));
    }
    let dispatch = async {
        while let Some(r) = requests.recv().await {
            // Every runtime is asked: the cgroup type does not say which socket has it.
            for e in &engines {
                let _ = e.try_send(r.clone());
            }
        }
    };
    tokio::select! {
        _ = dispatch => {}
        _ = stop => {}
    }
}

enum Client {
    Docker(DockerClient),
    Cri(CriClient),
}

impl Client {
    async fn connect(
        kind: EngineKind,
        path: &std::path::Path,
        timeout: Duration,
    ) -> Result<Client, RuntimeError> {
        match kind {
            EngineKind::Docker => Ok(Client::Docker(
                DockerClient::connect(path, "docker", timeout).await?,
            )),
            EngineKind::Podman => Ok(Client::Docker(
                DockerClient::connect(path, "podman", timeout).await?,
            )),
            EngineKind::Containerd | EngineKind::Cri => {
                Ok(Client::Cri(CriClient::connect(path, timeout).await?))
            }
        }
    }

    async fn inspect(
        &self,
        id: &str,
    ) -> Result<Option<falco_sinsp::state::container::ContainerInfo>, RuntimeError> {
        match self {
            Client::Docker(d) => d.inspect(id).await,
            Client::Cri(c) => c.inspect(id).await,
        }
    }
}

async fn engine_loop(
    kind: EngineKind,
    path: PathBuf,
    cache: Arc<ContainerCache>,
    mut requests: mpsc::Receiver<Request>,
    timeout: Duration,
    max_backoff: Duration,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut warned = false;
    let mut settled = false;
    loop {
        let err = match Client::connect(kind, &path, timeout).await {
            Ok(client) => {
                if warned {
                    log::info!(
                        "container runtime {} at {} answers again",
                        kind.key(),
                        path.display()
                    );
                }
                warned = false;
                backoff = FIRST_BACKOFF;
                serve(&client, &cache, &mut requests, &mut settled).await
            }
            Err(e) => e,
        };
        settle(&cache, &mut settled);
        if !warned {
            log::warn!(
                "container runtime {} at {}: {err}; container fields stay empty for its containers until it answers (retrying)",
                kind.key(),
                path.display()
            );
            warned = true;
        }
        // While the runtime is away its lookups fail at once: detection never waits on it.
        let pause = tokio::time::sleep(backoff);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => break,
                r = requests.recv() => match r {
                    Some(_) => { cache.stats.failed.fetch_add(1, Ordering::Relaxed); }
                    None => return,
                },
            }
        }
        backoff = (backoff * 2).min(max_backoff);
    }
}

/// Counts this socket's first connection as ended, once.
fn settle(cache: &ContainerCache, settled: &mut bool) {
    if !*settled {
        *settled = true;
        cache.stats.settled.fetch_add(1, Ordering::Release);
    }
}

/// Lists, then answers lookups and follows changes until the runtime fails.
async fn serve(
    client: &Client,
    cache: &ContainerCache,
    requests: &mut mpsc::Receiver<Request>,
    settled: &mut bool,
) -> RuntimeError {
    match client {
        Client::Docker(d) => {
            // Subscribe before listing so no start falls between the two.
            let changes = d.changes();
            tokio::pin!(changes);
            match d.list().await {
                Ok(list) => list.into_iter().for_each(|i| cache.insert(i)),
                Err(e) => return e,
            }
            settle(cache, settled);
            loop {
                tokio::select! {
                    r = requests.recv() => {
                        let Some(r) = r else { return RuntimeError::Io("stopped".into()) };
                        if let Err(e) = lookup(client, cache, &r.id).await { return e; }
                    }
                    c = changes.next() => match c {
                        Some(Ok(Change::Updated(id))) => {
                            if let Err(e) = lookup(client, cache, &id).await { return e; }
                        }
                        Some(Ok(Change::Gone(id))) => cache.remove(&id),
                        Some(Err(e)) => return e,
                        None => return RuntimeError::Io("event stream closed".into()),
                    },
                }
            }
        }
        Client::Cri(c) => {
            let mut known: HashSet<String> = HashSet::new();
            let mut tick = tokio::time::interval(CRI_POLL);
            loop {
                tokio::select! {
                    r = requests.recv() => {
                        let Some(r) = r else { return RuntimeError::Io("stopped".into()) };
                        if let Err(e) = lookup(client, cache, &r.id).await { return e; }
                    }
                    _ = tick.tick() => {
                        let ids = match c.list_ids().await { Ok(ids) => ids, Err(e) => return e };
                        let mut now = HashSet::new();
                        for (id, state) in ids {
                            let short = short_id(&id).to_string();
                            if state != CONTAINER_RUNNING {
                                continue;
                            }
                            if !known.contains(&short) && cache.get(&short).is_none() {
                                if let Err(e) = lookup(client, cache, &short).await { return e; }
                            }
                            now.insert(short);
                        }
                        for gone in known.difference(&now) {
                            cache.remove(gone);
                        }
                        known = now;
                        settle(cache, settled);
                    }
                }
            }
        }
    }
}

/// One inspect; a runtime failure ends the connection, an unknown id does not.
async fn lookup(client: &Client, cache: &ContainerCache, id: &str) -> Result<(), RuntimeError> {
    match client.inspect(id).await {
        Ok(Some(info)) => {
            cache.stats.resolved.fetch_add(1, Ordering::Relaxed);
            cache.insert(info);
            Ok(())
        }
        Ok(None) | Err(RuntimeError::NotFound) => Ok(()),
        Err(e) => {
            cache.lookup_failed();
            Err(e)
        }
    }
}
