//! What the citizen widget and the staff console share in the browser: `http` (the service's API on
//! one host: fetch with an optional bearer token, answers as JSON or `{code, message}`) and `i18n`
//! (zh-CN and en texts of states, steps and answers).
#![deny(missing_docs)]

pub mod http;
pub mod i18n;
