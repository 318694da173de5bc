//! The `falco` engine binary's library: configuration, CLI, pipeline wiring.

pub mod config;
