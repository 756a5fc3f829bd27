//! The WIT vocabulary's guest bindings, generated once and shared by every guest, with their
//! one-to-one conversions to and from `minyi-model` (pure field mapping, no logic).
#![allow(missing_docs, unsafe_code)]

wit_bindgen::generate!({
    world: "vocabulary",
    path: "../../../wit",
    generate_all,
});

pub use minyi::casework::types as wit;

mod convert;
pub use convert::input_error;
