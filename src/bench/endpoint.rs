//! The embedded endpoint in a child process (`entrasim serve --addr 127.0.0.1:0`), so that the
//! benchmark measures entrasim's memory and the endpoint's memory separately.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `entrasim serve` child; killed on drop.
pub struct ChildEndpoint {
    child: Child,
    /// The SCIM base URL it listens on.
    pub url: String,
    /// Its bearer token.
    pub token: String,
}

impl ChildEndpoint {
    /// Starts `entrasim serve` from the current executable with a fresh token and waits for its URL.
    pub fn start() -> std::io::Result<Self> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["serve", "--addr", "127.0.0.1:0", "--token", &token])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout from `entrasim serve`"))?;
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first)?;
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| std::io::Error::other(format!("unexpected first line from `entrasim serve`: {first:?}")))?
            .to_string();
        Ok(ChildEndpoint { child, url, token })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildEndpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
