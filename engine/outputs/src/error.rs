//! Typed errors of the outputs crate.

use std::io;

/// One problem in the outputs configuration, named by its falco.yaml key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// The falco.yaml key, e.g. `http_output.url`.
    pub key: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// Why [`crate::Outputs::new`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OutputsError {
    /// The configuration has problems; every one found is listed.
    #[error("invalid outputs configuration: {}", join(.0))]
    Config(Vec<ConfigError>),
    /// A worker thread could not be started.
    #[error("starting the {output} output worker: {source}")]
    Spawn {
        /// The output's name.
        output: &'static str,
        /// The OS error.
        source: io::Error,
    },
}

fn join(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
