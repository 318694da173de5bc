//! Falco's syscall fields: the catalog (names, types, descriptions), their extraction for
//! the current event, and their printing in alert outputs.

mod args;
mod catalog;
mod extract;
mod flag_tables;
mod format;
pub mod generic;
mod names;
mod native_names;
mod needs;
mod table;
pub mod time;

pub use catalog::SyscallCatalog;
pub use extract::{EventContext, Scratch};
pub use format::{format_value, JsonValue};
pub use table::{FieldId, CLASSES};
