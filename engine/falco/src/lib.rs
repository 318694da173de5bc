//! The `falco` engine binary's library: configuration, CLI, pipeline wiring.

pub mod alert;
pub mod app;
pub mod bootstrap;
pub mod capture;
pub mod cli;
pub mod config;
pub mod drops;
pub mod engine;
pub mod evaluate;
pub mod fatal;
pub mod host_meta;
pub mod load;
pub mod metrics;
pub mod reorder;
pub mod source;
pub mod stateful;
pub mod summary;
pub mod watch;
