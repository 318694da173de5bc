//! Typed reads of event parameters, tolerant of missing or short values.
