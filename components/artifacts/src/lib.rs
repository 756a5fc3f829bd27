//! The built-in components, built by `build.rs` from the guest crates: bytes, paths and `foreach_component!`.
#![deny(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/components.rs"));
