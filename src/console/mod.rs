//! The terminal adapter.
