//! `cargo xtask` as a user runs it, from a test: the binary `cargo xtask test` runs (`MINYI_XTASK`),
//! else through cargo on this checkout.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A `cargo xtask` command, ready for its arguments; it runs in the repository root.
pub fn xtask() -> Command {
    let mut c = match std::env::var_os("MINYI_XTASK") {
        Some(bin) => Command::new(bin),
        None => {
            let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            c.args(["run", "--quiet", "--package", "xtask", "--"]);
            c
        }
    };
    c.current_dir(repo());
    c
}
