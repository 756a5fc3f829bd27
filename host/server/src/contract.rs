//! The public contract as files vendors read: the OpenAPI document of the HTTP API and the JSON Schemas
//! (2020-12) of the public shapes, generated from the Rust types that read and write them and committed
//! under `host/server/api/` — a test fails, and rewrites them, when they are stale.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// Where the committed files live, relative to this crate.
pub const DIR: &str = "api";

/// A shape the service reads (a request) or writes (an answer): schemas differ where serde does, e.g.
/// a field that may be left out on input but is always written.
#[derive(Debug, Clone, Copy)]
enum Side {
    Reads,
    Writes,
}

fn schema_of<T: JsonSchema>(side: Side) -> Schema {
    let settings = match side {
        Side::Reads => SchemaSettings::draft2020_12().for_deserialize(),
        Side::Writes => SchemaSettings::draft2020_12().for_serialize(),
    };
    settings.into_generator().into_root_schema_for::<T>()
}

/// The public shapes, each with the file name of its schema under `api/schemas/`.
pub fn schemas() -> Vec<(&'static str, Value)> {
    use minyi_model as m;
    let all = [
        ("case-form", schema_of::<m::CaseForm>(Side::Reads)),
        ("validation-result", schema_of::<m::Noted<m::ValidationResult>>(Side::Writes)),
        ("routing-decision", schema_of::<m::Noted<m::RoutingDecision>>(Side::Writes)),
        ("case-event", schema_of::<m::CaseEvent>(Side::Writes)),
        ("intake-report", schema_of::<m::IntakeReport>(Side::Writes)),
        ("ranking", schema_of::<m::Ranking>(Side::Writes)),
        ("hotspot-report", schema_of::<m::HotspotReport>(Side::Writes)),
        ("progress", schema_of::<m::Progress>(Side::Writes)),
    ];
    all.into_iter().map(|(name, schema)| (name, schema.to_value())).collect()
}

/// Every committed file: its path under `api/` and its text.
pub fn files() -> Vec<(String, String)> {
    let pretty = |v: &Value| format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default());
    let mut out = vec![("openapi.json".to_owned(), pretty(&crate::openapi()))];
    out.extend(schemas().iter().map(|(name, schema)| (format!("schemas/{name}.schema.json"), pretty(schema))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// rust-analyzer's `ensure_file_contents`: a stale file is rewritten, and the test fails so that
    /// the change is seen and committed.
    fn ensure(path: &Path, text: &str) -> bool {
        if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
            return true;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the api folder can be written");
        }
        std::fs::write(path, text).expect("the api folder can be written");
        eprintln!("{} was not up to date and has been updated: commit it", path.display());
        false
    }

    #[test]
    fn committed_contract_is_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
        let files = files();
        let stale: Vec<&str> =
            files.iter().filter(|(rel, text)| !ensure(&dir.join(rel), text)).map(|(rel, _)| rel.as_str()).collect();
        let unknown: Vec<String> = std::fs::read_dir(dir.join("schemas"))
            .expect("api/schemas exists")
            .filter_map(|e| e.ok())
            .map(|e| format!("schemas/{}", e.file_name().to_string_lossy()))
            .filter(|rel| !files.iter().any(|(f, _)| f == rel))
            .collect();
        assert!(stale.is_empty(), "stale, now rewritten — re-run and commit: {stale:?}");
        assert!(unknown.is_empty(), "files under api/schemas no shape generates (remove them): {unknown:?}");
    }

    /// Every `$ref` of the document points at a schema it has; every path parameter is declared.
    #[test]
    fn the_document_is_self_contained() {
        let doc = crate::openapi();
        let schemas = doc.pointer("/components/schemas").and_then(Value::as_object).expect("schemas");
        fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r);
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 30, "the document refers to its schemas: {}", found.len());
        for r in found {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("a local ref: {r}"));
            assert!(schemas.contains_key(name), "{r} is not in components/schemas");
        }
        let paths = doc["paths"].as_object().expect("paths");
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("an item") {
                let declared: Vec<&str> = op["parameters"]
                    .as_array()
                    .map(|p| p.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect())
                    .unwrap_or_default();
                let wanted = path.matches('{').count();
                assert_eq!(declared.len(), wanted, "{method} {path}: path parameters {declared:?}");
                for name in declared {
                    assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {name}");
                }
                assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path}: a summary");
                assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}: answers");
            }
        }
    }

    /// Every operation of the committed document is served: the router answers it (with whatever
    /// status the handler picks), never "no such route" or "method not allowed".
    #[tokio::test]
    async fn every_documented_operation_is_served() {
        use axum::body::Body;
        use axum::http::{Request, StatusCode};
        use tower::ServiceExt;
        let committed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR).join("openapi.json"))
            .expect("api/openapi.json is committed");
        let doc: Value = serde_json::from_str(&committed).expect("it is JSON");
        let runtime = std::sync::Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
        let state = crate::AppState::stateless(runtime, std::path::PathBuf::from("/nonexistent"));
        let unrouted = StatusCode::from_u16(599).expect("a status");
        let router = crate::http::routes().into_parts().0.fallback(move || async move { unrouted }).with_state(state);
        let mut served = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let uri: String =
                path.split('/').map(|s| if s.starts_with('{') { "x.json" } else { s }).collect::<Vec<_>>().join("/");
            for method in item.as_object().expect("an item").keys() {
                let request = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(&uri)
                    .body(Body::empty())
                    .expect("a request");
                let status = router.clone().oneshot(request).await.expect("answers").status();
                assert!(
                    status != unrouted && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but not served ({status})"
                );
                served += 1;
            }
        }
        assert!(served >= 30, "{served} operations");
    }

    /// The route table is the only way to add a route: no module of `http/` calls axum's `route`
    /// itself, so the document cannot miss one.
    #[test]
    fn routes_are_added_only_through_the_table() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        for entry in std::fs::read_dir(&dir).expect("src/http") {
            let path = entry.expect("an entry").path();
            if path.file_name().is_some_and(|n| n == "api.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            for needle in [".route(\"", ".route_service(", ".nest(", ".nest_service("] {
                assert!(!text.contains(needle), "{} adds a route with `{needle}`: use `api::Api`", path.display());
            }
        }
    }
}
