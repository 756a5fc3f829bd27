//! The test components and example district plugins, built by `build.rs`: bytes, paths,
//! `foreach_plugin!`. Only tests and benches depend on this crate, so building the service or embedding
//! the runtime needs neither Python nor componentize-py.
#![deny(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
