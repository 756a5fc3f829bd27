//! Districts' own rule sets and form schemas, deployed at runtime: the checks that decide whether a
//! version may be stored and activated (run in the components), and what this node has loaded of
//! every district's active versions — kept in step with the registry by the plugins' sync loop, so
//! every node picks a change up within a second.

use minyi_registry::{DataKind, Registry, RegistryError};
use minyi_runtime::{CompiledRules, Runtime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A district's active version as this node holds it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The version.
    pub version: String,
    /// SHA-256 of the text.
    pub sha256: String,
    generation: i64,
    /// The text.
    pub text: Arc<str>,
}

/// What this node has loaded of every district's active rule sets and schemas.
#[derive(Debug, Default)]
pub struct Districts {
    active: RwLock<HashMap<(String, DataKind), Loaded>>,
    /// Rule sets compiled in the router, by SHA-256 (compiled once, on first use).
    compiled: Mutex<HashMap<String, Arc<CompiledRules<'static>>>>,
}

impl Districts {
    /// Brings this node to the registry's active versions: reads the states (cheap), and the text of
    /// what changed. The districts changed.
    pub fn sync(&self, registry: &Registry) -> Result<Vec<String>, RegistryError> {
        let rows = registry.active_data()?;
        let current = self.active.read().unwrap_or_else(PoisonError::into_inner).clone();
        let mut next = HashMap::with_capacity(rows.len());
        let mut changed = Vec::new();
        for row in rows {
            let key = (row.district.clone(), row.kind);
            match current.get(&key) {
                Some(l) if l.generation == row.generation && l.sha256 == row.sha256 => {
                    next.insert(key, l.clone());
                }
                _ => {
                    let text: Arc<str> = registry.data_by_sha(&row.sha256)?.into();
                    tracing::info!(
                        district = row.district,
                        kind = row.kind.name(),
                        version = row.version,
                        "district data loaded"
                    );
                    changed.push(row.district.clone());
                    next.insert(
                        key,
                        Loaded { version: row.version, sha256: row.sha256, generation: row.generation, text },
                    );
                }
            }
        }
        for key in current.keys().filter(|k| !next.contains_key(*k)) {
            tracing::info!(district = key.0, kind = key.1.name(), "district data rolled back to none");
            changed.push(key.0.clone());
        }
        *self.active.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(changed)
    }

    /// The district's active version of `kind`, if it has one.
    pub fn get(&self, district: &str, kind: DataKind) -> Option<Loaded> {
        self.active.read().unwrap_or_else(PoisonError::into_inner).get(&(district.to_owned(), kind)).cloned()
    }

    /// Whether any district has an active schema (intake reads a form's district only then).
    pub fn any_schema(&self) -> bool {
        self.active.read().unwrap_or_else(PoisonError::into_inner).keys().any(|(_, k)| *k == DataKind::Schema)
    }

    /// The district's active rule set, compiled in `runtime`'s router (once per text).
    pub fn rules(
        &self,
        district: &str,
        runtime: &Arc<Runtime>,
    ) -> Option<Result<(Loaded, Arc<CompiledRules<'static>>), String>> {
        let loaded = self.get(district, DataKind::Rules)?;
        let mut compiled = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = compiled.get(&loaded.sha256) {
            return Some(Ok((loaded, Arc::clone(c))));
        }
        let rules = match runtime.compile_rules_shared(&loaded.text) {
            Ok(Ok(rules)) => Arc::new(rules),
            Ok(Err(errors)) => return Some(Err(format!("the district's rule set has {} error(s)", errors.len()))),
            Err(e) => return Some(Err(e.to_string())),
        };
        compiled.insert(loaded.sha256.clone(), Arc::clone(&rules));
        Some(Ok((loaded, rules)))
    }
}

/// The form a district's cases follow: the schema it deployed and activated, else its built-in one
/// (Beijing's where it has none) — what the widget renders (`GET /api/form`) and Open311 describes.
pub fn form_spec(plugins: Option<&crate::plugins::Plugins>, district: &str) -> minyi_model::FormSpec {
    let deployed = plugins.and_then(|p| p.districts.get(district, DataKind::Schema));
    // Activation checked it with the validator, so it parses; were it not to, the built-in one stands.
    if let Some(Ok(schema)) = deployed.map(|s| minyi_validation::schema::parse(&s.text)) {
        return schema.spec(district);
    }
    minyi_validation::schema::for_district(district).spec(district)
}

/// Whether `text` may be a version of `district`'s `kind`: a rule set compiles without errors and every
/// one of its `[[example]]`s passes, and it routes only its own district's cases; a schema checks
/// clean and is for this district. The report, when not.
pub fn check(runtime: &Arc<Runtime>, district: &str, kind: DataKind, text: &str) -> Result<(), String> {
    match kind {
        DataKind::Rules => check_rules(runtime, district, text),
        DataKind::Schema => check_schema(runtime, district, text),
    }
}

fn check_rules(runtime: &Arc<Runtime>, district: &str, text: &str) -> Result<(), String> {
    let compiled = match runtime.compile_rules_shared(text).map_err(|e| format!("the router failed: {e}"))? {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            use minyi_runtime::bindings::types::Severity;
            let errors = diagnostics.iter().filter(|d| matches!(d.severity, Severity::Error)).count();
            let lines: Vec<String> = diagnostics
                .iter()
                .map(|d| {
                    let level = if matches!(d.severity, Severity::Error) { "error" } else { "warning" };
                    format!("  {}:{}: {level}: {}", d.line, d.column, d.message)
                })
                .collect();
            return Err(format!("`rules check` found {errors} error(s):\n{}", lines.join("\n")));
        }
    };
    let outcomes = compiled.run_examples().map_err(|e| format!("the router failed: {e}"))?;
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("  FAIL {} (line {}): {}", o.name, o.line, o.mismatches.join("; ")))
        .collect();
    if !failed.is_empty() {
        return Err(format!("{} of {} example(s) failed:\n{}", failed.len(), outcomes.len(), failed.join("\n")));
    }
    let foreign: Vec<String> = outcomes
        .iter()
        .filter(|o| o.decision.lead.get(..6).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()) && d != district))
        .map(|o| format!("  {} (line {}) leads to {}", o.name, o.line, o.decision.lead))
        .collect();
    if outcomes.is_empty() {
        return Err(
            "the rule set has no [[example]]: give at least one case of the district and what it must decide".into()
        );
    }
    if !foreign.is_empty() {
        return Err(format!("examples are routed to another district's units:\n{}", foreign.join("\n")));
    }
    Ok(())
}

fn check_schema(runtime: &Arc<Runtime>, district: &str, text: &str) -> Result<(), String> {
    let errors = runtime.check_schema(text).map_err(|e| format!("the validator failed: {e}"))?;
    if !errors.is_empty() {
        let lines: Vec<String> =
            errors.iter().map(|e| format!("  {}:{}: {}: {}", e.line, e.column, e.field, e.message)).collect();
        return Err(format!("`check-schema` found {} error(s):\n{}", errors.len(), lines.join("\n")));
    }
    let declared = toml_district(text);
    if declared.as_deref() != Some(district) {
        return Err(format!(
            "schema.district: the schema is for {}, not {district}",
            declared.as_deref().unwrap_or("no district")
        ));
    }
    Ok(())
}

/// `[schema] district` of a schema text (checked by the validator already; read here only to see
/// whose it is).
fn toml_district(text: &str) -> Option<String> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    doc.get("schema")?.get("district")?.as_str().map(str::to_owned)
}
