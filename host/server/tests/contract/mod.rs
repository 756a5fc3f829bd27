//! The committed contract holds for what the service really says: every answer of a real intake,
//! validation, routing, case view, event and ranking — on real components and a real SQLite store —
//! fits its committed JSON Schema, and the schemas refuse what does not fit; `GET /api/openapi.json`
//! serves the committed document.

use super::{district_admin, garbage_form, send, service};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::path::Path;

/// A committed schema of `api/schemas/`.
fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("api/schemas/{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("a schema is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name} is a valid 2020-12 schema: {e}"))
}

/// Fails with every place `value` does not fit `name`.
fn fits(name: &str, value: &Value) {
    let validator = schema(name);
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{name} does not describe {value}: {errors:#?}");
}

#[tokio::test]
async fn what_the_service_writes_fits_the_committed_schemas() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, plugins, admins, city) = service(&dir);
    let (chaoyang, _) = district_admin(&plugins, &admins, &city, "110105");

    // What a citizen sends, and what the schema refuses.
    let form = garbage_form("110105", "朝阳区望京西园三区");
    fits("case-form", &form);
    let forms = schema("case-form");
    for broken in [json!({"district": "110105"}), json!({"channel": "fax", "kind": "complaint", "received_at": "x"})] {
        assert!(!forms.is_valid(&broken), "the case-form schema refuses {broken}");
    }

    // Intake: taken (201), invalid (422), not a form at all (400) — one shape.
    let (status, taken) = send(&state, "POST", "/api/cases", None, form.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    fits("intake-report", &taken);
    let mut bad = form.clone();
    bad["reporter"]["phone"] = json!("1380013");
    let (status, refused) = send(&state, "POST", "/api/cases", None, bad.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    fits("intake-report", &refused);
    let (status, unreadable) = send(&state, "POST", "/api/cases", None, "{\"district\": 1".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{unreadable}");
    fits("intake-report", &unreadable);
    let mut wrong = taken.clone();
    wrong["state"] = json!("lost");
    assert!(!schema("intake-report").is_valid(&wrong), "a state the lifecycle has not is refused");

    // Validation and routing answers, with the plugin's note beside them.
    let (status, result) = send(&state, "POST", "/api/validate", None, bad.to_string()).await;
    assert_eq!((status, result["valid"].as_bool()), (StatusCode::OK, Some(false)), "{result}");
    fits("validation-result", &result);
    let (status, decision) = send(&state, "POST", "/api/route", None, form.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    fits("routing-decision", &decision);
    assert!(decision["explanation"]["fired"].as_array().is_some_and(|f| !f.is_empty()), "{decision}");

    // Where it stands for the citizen; its events for staff.
    let id = taken["case_id"].as_str().expect("a case number");
    let tracking = taken["tracking_token"].as_str().expect("a token");
    let (status, progress) = send(&state, "GET", &format!("/api/cases/{id}"), Some(tracking), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{progress}");
    fits("progress", &progress);
    let (status, whole) = send(&state, "GET", &format!("/api/cases/{id}"), Some(&chaoyang), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    let events = whole["events"].as_array().expect("events");
    assert_eq!(events.len(), 3, "{whole}");
    for event in events {
        fits("case-event", event);
    }

    // The month's ranking and hotspots.
    let (status, ranking) = send(&state, "GET", "/api/scores?month=2026-11", Some(&chaoyang), String::new()).await;
    assert_eq!((status, ranking["cases"].as_u64()), (StatusCode::OK, Some(2)), "{ranking}");
    fits("ranking", &ranking);
    let (status, hotspots) = send(&state, "GET", "/api/hotspots?month=2026-11", Some(&chaoyang), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{hotspots}");
    fits("hotspot-report", &hotspots);

    // The document the service serves is the committed one.
    let (status, served) = send(&state, "GET", "/api/openapi.json", None, String::new()).await;
    assert_eq!(status, StatusCode::OK);
    let committed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("api/openapi.json"))
        .expect("api/openapi.json is committed");
    assert_eq!(served, serde_json::from_str::<Value>(&committed).expect("JSON"), "served = committed");
    assert_eq!(served["openapi"], "3.1.0");
}
