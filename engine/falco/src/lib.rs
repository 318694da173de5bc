//! The `falco` engine binary's library: configuration, CLI, pipeline wiring.

pub mod alert;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod source;
