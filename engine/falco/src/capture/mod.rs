//! Capture metadata, both ways, and live capture writing: a `.scap` file's process, fd, user
//! and interface blocks become the state's bootstrap tables (`bootstrap`, for replay and the
//! viewer), and the host's tables become those blocks (`host_meta`) at the head of a live
//! capture (`live`).

pub mod bootstrap;
pub mod host_meta;
pub mod live;
