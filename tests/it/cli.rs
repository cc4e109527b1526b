//! End-to-end tests of the `entrasim` binary: every exit code has at least one test here, and the
//! diagnostics people read are snapshotted in their plain form.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A just-style builder: files in a temporary directory, arguments, then assertions on the outcome.
pub struct Cli {
    dir: tempdir::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// What the binary did.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
}

impl Cli {
    pub fn new() -> Self {
        Cli { dir: tempdir::TempDir::new(), args: Vec::new(), env: Vec::new() }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn file(self, name: &str, text: &str) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn run(self) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_entrasim"))
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("ENTRASIM_TOKEN")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("the entrasim binary runs");
        let dir = self.dir.keep();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir,
        }
    }
}

impl Output {
    pub fn code(self, expected: u8) -> Self {
        assert_eq!(
            self.code,
            i32::from(expected),
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// A temporary directory removed on drop, without another dependency.
mod tempdir {
    use super::*;

    pub struct TempDir(Option<PathBuf>);

    impl TempDir {
        pub fn new() -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "entrasim-cli-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(Some(dir))
        }

        pub fn path(&self) -> &Path {
            self.0.as_deref().expect("present until kept")
        }

        /// Hands the directory to the caller's [`Output`], which removes it on drop.
        pub fn keep(mut self) -> PathBuf {
            self.0.take().expect("present until kept")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            if let Some(dir) = &self.0 {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn usage_error_exits_2() {
    Cli::new().args(["run", "--no-such-flag"]).run().code(2);
}

#[test]
fn completions_print_a_script() {
    let out = Cli::new().args(["completions", "bash"]).run().code(0);
    assert!(out.stdout.contains("entrasim"), "{}", out.stdout);
}

#[test]
fn token_env_naming_an_unset_variable_is_a_clear_error() {
    let out = Cli::new().args(["run", "--token-env", "ENTRASIM_TEST_UNSET_VAR"]).run();
    assert!(out.stderr.contains("ENTRASIM_TEST_UNSET_VAR"), "{}", out.stderr);
    assert_ne!(out.code, 0);
}
