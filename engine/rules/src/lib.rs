//! The Falco rules language.
