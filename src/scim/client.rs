//! HTTP client: the only module that sends HTTP (being written).
