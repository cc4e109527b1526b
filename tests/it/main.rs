//! The one integration-test binary (one link step on our 2-core machines). Each module tests one area.

mod browser;
mod check;
mod cli;
mod client;
mod fuzz;
mod hostile;
mod html_report;
mod logs;
mod mapping;
mod progress;
mod readme;
mod scenarios;
mod server;
mod snapshots;
mod support;
