//! Entra provisioning logs: reading them, summarising them and replaying them as a scenario.
//!
//! Support engineers get a ticket plus two exports from the customer's tenant: the provisioning logs and
//! the app's `synchronizationSchema`. This module turns the logs into one model and then into either a
//! summary or a runnable scenario.
//!
//! ```text
//! Graph JSON ─┐
//! portal JSON ─┼─ read ─▶ Vec<LogRecord> ─┬─ anonymize (optional) ─┐
//! portal CSV ─┘   (auto-detected;         │                        ▼
//!                  located diagnostics)    ├──▶ summary::summarize ─▶ Summary (Serialize, render)
//!                                          └──▶ replay::build (+ schema) ─▶ Replay { scenario TOML, notes }
//! ```
//!
//! The formats, their fields and what each one lacks are described in `docs/provisioning-logs.md`.

mod anonymize;
mod codes;
mod history;
mod model;
mod parse_csv;
mod parse_json;
mod read;
pub mod replay;
mod scan;
mod summary;
mod write;

pub use anonymize::Anonymizer;
pub use codes::{lookup as error_code_info, ErrorCodeInfo, Retry};
pub use history::{history, History, HistoryEvent};
pub use model::{
    parse_time, Action, ErrorInfo, Identity, LogFormat, LogRecord, ModifiedProperty, Status, Step, StepType,
};
pub use read::{parse_csv_download, parse_str, read, read_all, read_detailed, ReadLog};
pub use summary::{summarize, CycleSummary, ErrorCount, Hint, HintKind, Summary};
pub use write::{record_to_graph, to_graph_json};
