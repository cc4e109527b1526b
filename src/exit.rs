//! Documented process exit codes. Every command maps its outcome to exactly one of these; when results
//! are mixed, [`RUNTIME`] wins over [`FINDINGS`].

/// Everything passed.
pub const OK: u8 = 0;
/// At least one compatibility finding: an expectation failed, the endpoint is not steady, or a snapshot drifted.
pub const FINDINGS: u8 = 1;
/// The command line was not understood (clap's own code).
pub const USAGE: u8 = 2;
/// A scenario, mapping or other input file did not parse or check. Nothing was sent.
pub const INVALID: u8 = 3;
/// The target could not be used (unreachable, authentication refused, leftovers from an earlier run, a
/// refused seed, objects cleanup could not delete), the run was interrupted, or a report could not be written.
pub const RUNTIME: u8 = 4;
