//! Helpers for the end-to-end tests: a small WebDriver client for headless Chromium over ChromeDriver,
//! and a deterministic generator of varied case forms.

pub mod forms;
pub mod webdriver;
