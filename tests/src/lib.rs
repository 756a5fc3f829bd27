//! Helpers for the end-to-end tests: a small WebDriver client for headless Chromium over ChromeDriver,
//! a deterministic generator of varied case forms, and fresh databases on the test PostgreSQL server.

pub mod forms;
pub mod postgres;
pub mod webdriver;
