//! The capture's state blocks: machine info, process (thread) list, fd lists, interfaces and
//! users/groups. Parsing (from a block body) and encoding (for the writer) live side by side so
//! the two cannot drift apart.
//!
//! One file per block type, each with its public types, its parser and its encoder;
//! [`Cursor`] is the byte reader they and the capture reader share.

mod cursor;
mod fdlist;
mod iflist;
mod machine_info;
mod proclist;
mod userlist;

pub(crate) use cursor::Cursor;
pub(crate) use fdlist::{encode_fdlist_v2, parse_fdlist};
pub use fdlist::{fd_type, FdEntry, FdInfo, FdList};
pub(crate) use iflist::{encode_interface_v2, parse_iflist};
pub use iflist::{IfAddr, Interface};
pub use machine_info::MachineInfo;
pub(crate) use machine_info::{encode_machine_info, parse_machine_info};
pub use proclist::ThreadEntry;
pub(crate) use proclist::{encode_thread_v9, parse_proclist, proclist_version};
pub(crate) use userlist::{encode_group_v2, encode_user_v2, parse_userlist};
pub use userlist::{GroupEntry, UserEntry};

/// Everything a capture says about the machine before its events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureMetadata {
    /// Section header major version.
    pub major_version: u16,
    /// Section header minor version.
    pub minor_version: u16,
    /// Machine info, when the capture has an `MI` block.
    pub machine: Option<MachineInfo>,
    /// Threads from every process-list block, one per thread id in the order they first
    /// appear; a thread listed again (a later block) replaces its entry.
    pub threads: Vec<ThreadEntry>,
    /// One fd list per thread id, in the order they first appear; a later fd-list block of
    /// the same thread adds its fds to it (an fd listed again replaces its entry).
    pub fd_lists: Vec<FdList>,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// Users.
    pub users: Vec<UserEntry>,
    /// Groups.
    pub groups: Vec<GroupEntry>,
    /// Block types the reader did not know and skipped.
    pub skipped_blocks: u64,
}
