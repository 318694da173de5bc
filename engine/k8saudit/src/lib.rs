//! The built-in `k8s_audit` event source: Kubernetes audit events (`audit.k8s.io/v1` `Event`
//! and `EventList`) as kube-apiserver writes them to a log file or posts them to a webhook,
//! and the fields Falco's `k8saudit` and `json` plugins give rules over them.
//!
//! - `json`: a JSON tree that keeps object keys in document order, printed as the plugins do.
//! - `event`: payloads (an `Event`, an `EventList`, an array of them) into [`AuditEvent`]s,
//!   with the plugin's checks and messages.
//! - `file`: the plugin's file `open_params` (a file of one payload per line, or a folder).
//! - `fields`: the [`AuditCatalog`] the rules compiler resolves `ka.*`, `json.*`, `jevt.*`
//!   and `evt.*` with, and [`AuditFields`], their values for one event.
//!
//! No network and no threads here: the binary runs the webhook listener and the pipeline.

pub mod event;
pub mod fields;
pub mod file;
pub mod json;

pub use event::{parse_payload, AuditEvent, Parsed, PayloadError, DEFAULT_MAX_EVENT_SIZE};
pub use fields::{AuditCatalog, AuditFields, SOURCE};
pub use json::Json;
