//! Falco's syscall fields: the catalog (names, types, descriptions) and their extraction.

mod catalog;
mod table;

pub use catalog::SyscallCatalog;
pub use table::{FieldId, CLASSES};
