//! The tables libsinsp keeps: threads, file descriptors, users, groups, containers.
