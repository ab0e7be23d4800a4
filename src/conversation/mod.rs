//! The pure conversation engine.
