//! The one integration-test binary (one link step on our 2-core machines). Each module tests one area.

mod check;
mod check_wire;
mod cli;
mod client;
mod fuzz;
mod hostile;
mod logs;
mod mapping;
mod scenarios;
mod server;
mod shapes;
mod support;
