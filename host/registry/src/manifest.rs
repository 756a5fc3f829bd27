//! The plugin manifest: what a district admin uploads with a component, signed with a key registered for
//! the district. Plain serde structs; `schema/plugin-manifest.schema.json` is generated from them.

use minyi_plugins::PluginLimits;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The WIT package a plugin must target.
pub const WIT_PACKAGE: &str = "minyi:casework@0.1.0";

pub use minyi_plugins::Hook;

/// Per-call limits a plugin requests; the host refuses more than its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Fuel per call (about one unit per wasm instruction).
    #[serde(default = "default_fuel")]
    pub fuel: u64,
    /// Linear-memory cap, bytes.
    #[serde(default = "default_memory")]
    pub memory_bytes: u64,
    /// Cap on the bytes of text a call returns.
    #[serde(default = "default_output")]
    pub output_bytes: u64,
}

fn default_fuel() -> u64 {
    PluginLimits::default().fuel
}
fn default_memory() -> u64 {
    PluginLimits::default().memory_bytes as u64
}
fn default_output() -> u64 {
    PluginLimits::default().output_bytes as u64
}

impl Default for Limits {
    fn default() -> Self {
        Self { fuel: default_fuel(), memory_bytes: default_memory(), output_bytes: default_output() }
    }
}

impl Limits {
    /// As the plugin host takes them.
    pub fn to_plugin_limits(self) -> PluginLimits {
        PluginLimits {
            fuel: self.fuel,
            memory_bytes: usize::try_from(self.memory_bytes).unwrap_or(usize::MAX),
            output_bytes: usize::try_from(self.output_bytes).unwrap_or(usize::MAX),
        }
    }
}

/// A plugin manifest (`plugin.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Plugin name: lower-case ASCII letters, digits and hyphens, e.g. `chaoyang-heating`.
    pub name: String,
    /// Version, e.g. `1.2.0`; a (name, version) is uploaded once per district.
    pub version: String,
    /// The district the plugin is for (official code, e.g. `110105`).
    pub district: String,
    /// The hooks it implements; must be exactly the hooks the component exports.
    pub hooks: Vec<Hook>,
    /// The WIT package it targets: `minyi:casework@0.1.0`.
    pub wit: String,
    /// Per-call limits requested.
    #[serde(default)]
    pub limits: Limits,
    /// Read-only configuration granted to the plugin (`district-config.get`).
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// SHA-256 of the component bytes, lower-case hex.
    pub sha256: String,
    /// ed25519 signature, hex, over [`Manifest::signing_bytes`], by a key registered for the district.
    pub signature: String,
}

impl Manifest {
    /// The bytes the signature covers: the manifest as JSON with an empty signature, fields in
    /// declaration order (serde's, so every signer and verifier agrees).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let unsigned = Manifest { signature: String::new(), ..self.clone() };
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// The manifest's JSON schema.
    pub fn json_schema() -> String {
        serde_json::to_string_pretty(&schemars::schema_for!(Manifest)).unwrap_or_default()
    }

    /// Checks the fields that need no key or bytes; names the field at fault.
    pub fn check_fields(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(format!("name: {:?} must be 1–64 lower-case letters, digits and hyphens", self.name));
        }
        if self.version.is_empty()
            || self.version.len() > 32
            || !self.version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(format!("version: {:?} is not a version like 1.2.0", self.version));
        }
        if self.district.len() != 6 || !self.district.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("district: {:?} is not a 6-digit district code", self.district));
        }
        if self.hooks.is_empty() {
            return Err("hooks: name at least one of validation, routing, scoring".into());
        }
        if self.wit != WIT_PACKAGE {
            return Err(format!("wit: {:?} is not the supported package {WIT_PACKAGE}", self.wit));
        }
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err("sha256: must be 64 lower-case hex digits".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_schema_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/plugin-manifest.schema.json");
        let current = Manifest::json_schema();
        if std::env::var_os("MINYI_BLESS").is_some() {
            std::fs::write(&path, &current).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(committed, current, "run with MINYI_BLESS=1 to update {}", path.display());
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let e = serde_json::from_str::<Manifest>(r#"{"name":"x","version":"1","district":"110105","hooks":["routing"],"wit":"minyi:casework@0.1.0","sha256":"","signature":"","extra":1}"#)
            .expect_err("unknown field");
        assert!(e.to_string().contains("extra"), "{e}");
    }
}
