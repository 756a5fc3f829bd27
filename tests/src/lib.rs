//! Helpers for the end-to-end tests: a small WebDriver client for headless Chromium over ChromeDriver.

pub mod webdriver;
