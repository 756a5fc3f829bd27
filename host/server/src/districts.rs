//! Districts' own rule sets, form schemas and classifier models, deployed at runtime: the checks that decide whether a
//! version may be stored and activated (run in the components), and what this node has loaded of
//! every district's active versions — kept in step with the registry by the plugins' sync loop, so
//! every node picks a change up within a second.

use minyi_registry::{DataKind, Registry, RegistryError};
use minyi_runtime::{CompiledRules, LoadedModel, Runtime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A district's active version as this node holds it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The version.
    pub version: String,
    /// SHA-256 of the text (the bytes, for a model).
    pub sha256: String,
    generation: i64,
    /// The bytes: the text's for rules and schemas (checked UTF-8 when loaded).
    pub data: Arc<[u8]>,
}

impl Loaded {
    /// The text of a rule set or schema (empty for a model, which is bytes).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.data).unwrap_or_default()
    }
}

/// What this node has loaded of every district's active rule sets, schemas and models.
#[derive(Default)]
pub struct Districts {
    active: RwLock<HashMap<(String, DataKind), Loaded>>,
    /// Rule sets compiled in the router, by SHA-256 (compiled once, on first use).
    compiled: Mutex<HashMap<String, Arc<CompiledRules<'static>>>>,
    /// Models loaded into the classifier, by SHA-256 (loaded once, on first use).
    models: Mutex<HashMap<String, Arc<LoadedModel<'static>>>>,
}

impl std::fmt::Debug for Districts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let active = self.active.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Districts").field("active", &active.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
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
                    let data: Arc<[u8]> = registry.data_bytes_by_sha(row.kind, &row.sha256)?.into();
                    tracing::info!(
                        district = row.district,
                        kind = row.kind.name(),
                        version = row.version,
                        "district data loaded"
                    );
                    changed.push(row.district.clone());
                    next.insert(
                        key,
                        Loaded { version: row.version, sha256: row.sha256, generation: row.generation, data },
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
        Some(once_per_sha(&self.compiled, loaded, |l| match runtime.compile_rules_shared(l.text()) {
            Ok(Ok(rules)) => Ok(rules),
            Ok(Err(errors)) => Err(format!("the district's rule set has {} error(s)", errors.len())),
            Err(e) => Err(e.to_string()),
        }))
    }

    /// The district's active classifier model, loaded into `runtime`'s classifier (once per file).
    pub fn model(
        &self,
        district: &str,
        runtime: &Arc<Runtime>,
    ) -> Option<Result<(Loaded, Arc<LoadedModel<'static>>), String>> {
        let loaded = self.get(district, DataKind::Model)?;
        Some(once_per_sha(&self.models, loaded, |l| {
            runtime.load_model_shared(&l.data).map_err(|e| format!("the district's model does not load: {e}"))
        }))
    }
}

/// What `make` makes of a loaded version, made once per SHA-256 and kept in `made`.
fn once_per_sha<T>(
    made: &Mutex<HashMap<String, Arc<T>>>,
    loaded: Loaded,
    make: impl FnOnce(&Loaded) -> Result<T, String>,
) -> Result<(Loaded, Arc<T>), String> {
    let mut made = made.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(m) = made.get(&loaded.sha256) {
        return Ok((loaded, Arc::clone(m)));
    }
    let m = Arc::new(make(&loaded)?);
    made.insert(loaded.sha256.clone(), Arc::clone(&m));
    Ok((loaded, m))
}

/// The classifier model that suggests categories for a district's demands, and whose it is.
pub struct ModelFor {
    /// The model, loaded in the classifier component.
    pub model: Arc<LoadedModel<'static>>,
    /// The district and its active version, when the model is the district's own.
    pub own: Option<(String, Loaded)>,
}

impl std::fmt::Debug for ModelFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFor").field("model", &self.model.info().sha256).field("own", &self.own).finish()
    }
}

/// The classifier model that suggests categories for `district`'s demands: the one it deployed and
/// activated, else the service's (`--classifier`). `None` when neither.
pub fn model_for(state: &crate::AppState, district: Option<&str>) -> Option<ModelFor> {
    let districts = state.plugins.as_deref().map(|p| &p.districts);
    let own = district.zip(districts).and_then(|(d, ds)| match ds.model(d, &state.runtime)? {
        Ok((loaded, model)) => Some(ModelFor { model, own: Some((d.to_owned(), loaded)) }),
        Err(reason) => {
            tracing::warn!(district = d, %reason, "the district's model cannot suggest here; the service's does");
            None
        }
    });
    own.or_else(|| state.classifier.clone().map(|model| ModelFor { model, own: None }))
}

/// The form a district's cases follow: the schema it deployed and activated, else its built-in one
/// (Beijing's where it has none) — what the widget renders (`GET /api/form`) and Open311 describes.
pub fn form_spec(plugins: Option<&crate::plugins::Plugins>, district: &str) -> minyi_model::FormSpec {
    let deployed = plugins.and_then(|p| p.districts.get(district, DataKind::Schema));
    // Activation checked it with the validator, so it parses; were it not to, the built-in one stands.
    if let Some(Ok(schema)) = deployed.map(|s| minyi_validation::schema::parse(s.text())) {
        return schema.spec(district);
    }
    minyi_validation::schema::for_district(district).spec(district)
}

/// Whether `data` may be a version of `district`'s `kind`: a rule set compiles without errors and every
/// one of its `[[example]]`s passes, and it routes only its own district's cases; a schema checks
/// clean and is for this district; a model loads in the classifier component and suggests only leaves
/// of the category tree. The report, when not.
pub fn check(runtime: &Arc<Runtime>, district: &str, kind: DataKind, data: &[u8]) -> Result<(), String> {
    let text = || std::str::from_utf8(data).map_err(|_| format!("the {} is not UTF-8 text", kind.name()));
    match kind {
        DataKind::Rules => check_rules(runtime, district, text()?),
        DataKind::Schema => check_schema(runtime, district, text()?),
        DataKind::Model => check_model(runtime, data),
    }
}

fn check_model(runtime: &Arc<Runtime>, data: &[u8]) -> Result<(), String> {
    let model = runtime.load_model_shared(data).map_err(|e| format!("the classifier refused the file: {e}"))?;
    crate::suggest::check_categories(&model.info().categories)
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
