//! The benchmarks live in `benches/`; this crate exists so their baselines (criterion, regorus,
//! jsonschema) stay out of the default `cargo test` build. `cargo xtask bench` runs them.
