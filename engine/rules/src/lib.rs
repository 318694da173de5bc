//! The Falco rules language: condition grammar, rules-file loader, compiler and diagnostics.
//!
//! This crate does no I/O beyond reading the rules files it is asked to load. It knows fields
//! only through the [`field`] contract, implemented by `falco-sinsp`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod ast;
pub mod cli;
pub mod compile;
pub mod diag;
pub mod escape;
pub mod evttype;
mod expand;
pub mod field;
pub mod file;
pub mod load;
pub mod matchers;
pub mod output;
pub mod parser;
pub mod priority;
mod reader;
pub mod ruleset;
#[cfg(any(test, feature = "testcases"))]
pub mod testcases;
pub mod yaml;
