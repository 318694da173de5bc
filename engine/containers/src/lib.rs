//! Container and Kubernetes metadata from the container runtimes, for the `container.*` and
//! `k8s.*` fields: Docker and Podman through the Docker Engine API, containerd and CRI-O
//! through CRI, configured as Falco 0.44's container plugin.
//!
//! Nothing here runs on the event path. The state stage reads a [`ContainerCache`] (a
//! read lock and a hash lookup) and queues the ids it does not know without waiting; one
//! worker thread with its own async runtime ([`worker`]) lists each runtime's containers
//! when it connects, answers the queued lookups, follows the runtime's events (Docker API
//! event streams; CRI by listing once a second) and removes containers that exit. A
//! runtime that is absent, slow, restarting or answering garbage is warned about once per
//! outage and retried with exponential backoff; its lookups fail after a timeout, and the
//! fields stay empty until it answers again.

pub mod cache;
pub mod config;
pub mod cri;
pub mod docker;
pub mod worker;

pub use cache::{CacheFigures, ContainerCache};
pub use config::{EngineConfig, EngineKind, EnginesConfig};
pub use worker::{start, Collector};

/// Why a runtime call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeError {
    /// Connection or protocol failure (absent socket, refused, garbage).
    Io(String),
    /// No answer within the request timeout.
    Timeout,
    /// The runtime does not know the container.
    NotFound,
    /// The runtime answered with an error.
    Status(String),
}

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuntimeError::Io(e) => write!(f, "{e}"),
            RuntimeError::Timeout => write!(f, "no answer within the timeout"),
            RuntimeError::NotFound => write!(f, "not found"),
            RuntimeError::Status(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RuntimeError {}

impl From<tonic::Status> for RuntimeError {
    fn from(s: tonic::Status) -> Self {
        match s.code() {
            tonic::Code::NotFound => RuntimeError::NotFound,
            tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Internal => {
                RuntimeError::Io(s.to_string())
            }
            _ => RuntimeError::Status(s.to_string()),
        }
    }
}
