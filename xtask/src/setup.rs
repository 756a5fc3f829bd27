//! Set-up on a fresh machine: the wasm target through rustup, Chromium and ChromeDriver through apt.

use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

const TARGETS: &[&str] = &["wasm32-unknown-unknown"];

/// Everything the tests need.
pub fn all() -> Result<()> {
    targets()?;
    chromium()?;
    Ok(())
}

/// Adds the Rust targets the guests and the web app build for.
pub fn targets() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output()?;
    let installed = String::from_utf8_lossy(&installed.stdout);
    for target in TARGETS {
        if !installed.lines().any(|l| l.trim() == *target) {
            crate::run(Command::new("rustup").args(["target", "add", target]))?;
        }
    }
    Ok(())
}

/// Path of the Chromium binary.
pub fn chromium_path() -> Result<&'static str> {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return Ok(p);
        }
    }
    bail!("Chromium is not installed: run `sudo apt-get update && sudo apt-get install -y chromium chromium-driver`")
}

/// Installs Debian's Chromium and ChromeDriver when missing (as root), else says exactly what to run.
fn chromium() -> Result<()> {
    if chromium_path().is_ok() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if !is_root {
        bail!(
            "Chromium and ChromeDriver are needed for the browser tests: run `sudo apt-get update && sudo apt-get install -y chromium chromium-driver`, then `cargo xtask test` again"
        );
    }
    crate::run(Command::new("apt-get").args(["update", "-q"]))?;
    crate::run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(())
}
