//! The one integration-test binary (one link step on our 2-core machines). Each module tests one area.

mod check;
mod cli;
mod client;
mod compat;
mod fuzz;
mod hostile;
mod logs;
mod mapping;
mod scenarios;
mod server;
mod support;
