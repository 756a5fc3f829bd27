//! From bytes to a plugin ready to activate: compiled (or loaded precompiled) on the host's engine,
//! refused when it imports anything the host does not grant or exports no hook, its hooks found
//! through each single-hook world's export indices.

use crate::capabilities::PluginState;
use crate::host::{PluginError, PluginHost};
use minyi_runtime::bindings::routing_plugin::RoutingPluginIndices;
use minyi_runtime::bindings::scoring_plugin::ScoringPluginIndices;
use minyi_runtime::bindings::validation_plugin::ValidationPluginIndices;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, ComponentExportIndex, InstancePre};

/// A hook a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    /// `validation-hook`: extra issues.
    Validation,
    /// `routing-hook`: amend the routing decision.
    Routing,
    /// `scoring-hook`: review cases for exclusions.
    Scoring,
}

impl Hook {
    /// Every hook, in the order the host reports them.
    pub const ALL: [Hook; 3] = [Hook::Validation, Hook::Routing, Hook::Scoring];

    /// The name in JSON, metrics and fault records.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Validation => "validation",
            Hook::Routing => "routing",
            Hook::Scoring => "scoring",
        }
    }

    /// The hook named `name` (as [`Hook::name`] writes it).
    pub fn parse(name: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.name() == name)
    }
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A plugin compiled and checked, ready to activate.
#[derive(Clone)]
pub struct CompiledPlugin {
    pub(crate) sha256: String,
    pub(crate) pre: InstancePre<PluginState>,
    pub(crate) validation: Option<ValidationPluginIndices>,
    pub(crate) routing: Option<RoutingPluginIndices>,
    pub(crate) scoring: Option<ScoringPluginIndices>,
    /// The hooks' functions (validation, routing, scoring), called directly so that each result is
    /// lifted under the output cap.
    pub(crate) exports: [Option<ComponentExportIndex>; 3],
    /// The interfaces it imports, e.g. `minyi:casework/log@0.1.0`.
    pub(crate) imports: Vec<String>,
}

impl std::fmt::Debug for CompiledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledPlugin").field("sha256", &self.sha256).field("hooks", &self.hooks()).finish()
    }
}

impl CompiledPlugin {
    /// SHA-256 of the component bytes, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Whether it exports `hook`.
    pub fn has(&self, hook: Hook) -> bool {
        match hook {
            Hook::Validation => self.validation.is_some(),
            Hook::Routing => self.routing.is_some(),
            Hook::Scoring => self.scoring.is_some(),
        }
    }

    /// `hook`'s function, when it exports the hook.
    pub(crate) fn export(&self, hook: Hook) -> Option<&ComponentExportIndex> {
        let [validation, routing, scoring] = &self.exports;
        match hook {
            Hook::Validation => validation.as_ref(),
            Hook::Routing => routing.as_ref(),
            Hook::Scoring => scoring.as_ref(),
        }
        .filter(|_| self.has(hook))
    }

    /// The hooks it exports.
    pub fn hooks(&self) -> Vec<Hook> {
        Hook::ALL.into_iter().filter(|h| self.has(*h)).collect()
    }

    /// The interfaces it imports.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// Whether its validation hook can also run in a browser: it has one and imports only Minyi's own
    /// capabilities (which a page can give it), no WASI (a language runtime such as Python's).
    pub fn runs_in_browser(&self) -> bool {
        self.validation.is_some() && self.imports.iter().all(|i| GRANTED.contains(&i.as_str()))
    }
}

/// Interfaces a plugin may import.
const GRANTED: &[&str] = &[
    "minyi:casework/types@0.1.0",
    "minyi:casework/clock@0.1.0",
    "minyi:casework/log@0.1.0",
    "minyi:casework/district-config@0.1.0",
    "minyi:casework/directory@0.1.0",
];

/// Whether a plugin may import `name`: a granted Minyi capability, or an interface of the empty WASI
/// surface.
fn granted(name: &str) -> bool {
    GRANTED.contains(&name) || crate::wasi::granted(name)
}

impl PluginHost {
    /// Compiles and checks a plugin: a component, importing only the granted capabilities, exporting at
    /// least one hook.
    pub fn compile(&self, bytes: &[u8]) -> Result<CompiledPlugin, PluginError> {
        let invalid = |e: wasmtime::Error| PluginError::Invalid(format!("{e:#}"));
        let component = match &self.cache {
            Some(cache) => cache.component(&self.engine, bytes).map_err(invalid)?.0,
            None => Component::new(&self.engine, bytes).map_err(invalid)?,
        };
        self.check(component, hex::encode(Sha256::digest(bytes)))
    }

    /// The key of this host's engine configuration (wasmtime version, target, settings) under which a
    /// precompiled plugin may be reused.
    pub fn engine_key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        format!("wasmtime-{:016x}", h.finish())
    }

    /// The native code of a plugin this host compiled, as a `.cwasm` artifact for this engine
    /// configuration (no second compile).
    pub fn precompiled(&self, compiled: &CompiledPlugin) -> Result<Vec<u8>, PluginError> {
        compiled.pre.component().serialize().map_err(|e| PluginError::Invalid(format!("{e:#}")))
    }

    /// [`PluginHost::compile`] from an artifact of [`PluginHost::precompiled`]: milliseconds instead of a
    /// compile.
    ///
    /// # Safety
    /// `cwasm` must be exactly what `precompiled` returned on a host with the same [`PluginHost::engine_key`]
    /// (wasmtime trusts precompiled code); never bytes from anyone else.
    #[allow(unsafe_code)]
    pub unsafe fn compile_precompiled(&self, sha256: &str, cwasm: &[u8]) -> Result<CompiledPlugin, PluginError> {
        // SAFETY: the caller guarantees the artifact came from `precompiled` under this engine key.
        let component = unsafe { Component::deserialize(&self.engine, cwasm) }
            .map_err(|e| PluginError::Precompiled(format!("{e:#}")))?;
        self.check(component, sha256.to_owned())
    }

    fn check(&self, component: Component, sha256: String) -> Result<CompiledPlugin, PluginError> {
        let imports: Vec<String> =
            component.component_type().imports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        let refused: Vec<&str> = imports.iter().map(String::as_str).filter(|name| !granted(name)).collect();
        if !refused.is_empty() {
            return Err(PluginError::Imports { imports: refused.join(", ") });
        }
        let pre =
            self.linker.instantiate_pre(&component).map_err(|e| PluginError::Imports { imports: format!("{e:#}") })?;
        let func = |interface: &str, name: &str| {
            let interface = component.get_export_index(None, interface)?;
            component.get_export_index(Some(&interface), name)
        };
        let exports = [
            func("minyi:casework/validation-hook@0.1.0", "extra-issues"),
            func("minyi:casework/routing-hook@0.1.0", "amend-route"),
            func("minyi:casework/scoring-hook@0.1.0", "review-case"),
        ];
        let compiled = CompiledPlugin {
            sha256,
            exports,
            validation: ValidationPluginIndices::new(&pre).ok(),
            routing: RoutingPluginIndices::new(&pre).ok(),
            scoring: ScoringPluginIndices::new(&pre).ok(),
            pre,
            imports,
        };
        if compiled.hooks().is_empty() {
            return Err(PluginError::NoHook);
        }
        Ok(compiled)
    }
}
