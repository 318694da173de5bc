//! State and fields.
