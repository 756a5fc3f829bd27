//! The Minyi service: the HTTP API and web app over the wasmtime runtime, and the `minyi` command line.
//!
//! Rooms: `http` (the router `app(state)`, tested without a socket, one file per resource), `cli` (one
//! file per command group), `intake` (受理: store first, then validate, route, dispatch), `plugins` (the
//! registry and the plugin host kept in step, and the hooks applied to results), `error` (one error
//! type, rendered as `{code, message}`), `clock` (the service's one clock: Beijing time), `casework` (who may write which event after dispatch, and the callback),
//! `scores` (the three rates and hotspots over stored events, for the API and the command line),
//! `demo` (months of generated casework through the handlers, on a walking clock), `rescore` (after casework changes a case: the scoring plugin's review and the scorer's assessment,
//! kept as decisions), `replay` (every kept decision run again),
//! `contract` (the OpenAPI document and the public shapes' JSON Schemas, committed under `api/`).
#![deny(missing_docs)]

mod access;
pub mod casework;
pub mod cli;
pub mod clock;
pub mod contract;
pub mod demo;
pub mod districts;
mod error;
mod http;
pub mod intake;
pub mod plugins;
pub mod replay;
pub mod rescore;
pub mod scores;
pub mod suggest;

pub use error::AppError;
pub use http::{AppState, Buckets, Guard, Rate, app, openapi, warm as warm_assets};
