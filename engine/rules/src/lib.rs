//! The Falco rules language: condition grammar, rules-file loader, compiler and diagnostics.
//!
//! This crate does no I/O beyond reading the rules files it is asked to load. It knows fields
//! only through the [`field`] contract, implemented by `falco-sinsp`.
#![deny(missing_docs)]

pub mod ast;
pub mod escape;
pub mod field;
pub mod parser;
#[cfg(any(test, feature = "testcases"))]
pub mod testcases;
