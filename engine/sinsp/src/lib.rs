//! System state (threads, file descriptors, users, containers) rebuilt from events, and
//! Falco's fields over it.
//!
//! Data flow: an event (`ringbuf_abi::Record` + cpu) goes to [`state::State::process`], which
//! updates the tables; then [`fields::EventContext`] answers field values for that same event
//! through the `falco_rules::field` contract ([`fields::SyscallCatalog`] resolves names).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod fields;
pub mod params;
pub mod state;
