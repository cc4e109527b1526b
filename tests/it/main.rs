//! The one integration-test binary (one link step on our 2-core machines). Each module tests one area.

mod architecture;
mod browser;
mod check;
mod check_wire;
mod cli;
mod client;
mod compat;
mod failfast;
mod fuzz;
mod graph;
mod hints;
mod hostile;
mod html_report;
mod isolation;
mod logs;
mod mapping;
mod portal;
mod progress;
mod readme;
mod scenarios;
mod server;
mod shapes;
mod snapshots;
mod support;
mod tenant;
mod token;
