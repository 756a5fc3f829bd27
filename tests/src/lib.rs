//! Helpers for the end-to-end tests: 朝阳's district data (`fixtures`), a small classifier model (`classifier`), a small WebDriver client for headless Chromium over ChromeDriver,
//! a real `minyi serve` on a free port, a deterministic generator of varied case forms, fresh databases on the test PostgreSQL server, and
//! the real data beside the repository (skipped when absent, required under `CI=true`), and `cargo xtask`.

pub mod classifier;
pub mod fixtures;
pub mod forms;
pub mod postgres;
pub mod serve;
pub mod shared;
pub mod webdriver;
pub mod xtask;
