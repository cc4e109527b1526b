//! The shared SCIM model (being written).

pub mod client;
