//! `POST /api/validate` and `POST /api/route`: the authoritative validation and the routing decision
//! (with its explanation) of a case-form document, each with the district plugin's note; and
//! `POST /api/suggest`: the category the classifier suggests for a text.

use super::api::{Api, Op};
use super::{AppState, StaffAuth};
use crate::AppError;
use axum::extract::rejection::{QueryRejection, StringRejection};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minyi_auth::{AuthError, Role};
use minyi_model::{CaseForm, Noted, RoutingDecision, ValidationResult};
use minyi_runtime::LoadedModel;
use minyi_runtime::bindings::types::CaseContext;
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// The check routes.
pub(super) fn routes() -> Api {
    Api::new()
        .post(
            "/api/validate",
            Op::new(
                "check",
                "Validates a case form against its district's schema (the one it deployed, else the built-in one), \
                 as intake does: the authoritative result, with the district plugin's note.",
            )
            .query::<ValidateQuery>()
            .body::<CaseForm>()
            .answers::<Noted<ValidationResult>>(200, "the validation result (valid or not)")
            .fails(&[
                (400, "not a case form, or a bad parameter"),
                (401, "`case` without a staff token, or an unknown token"),
                (403, "`case` with a client's token"),
                (500, "the component failed"),
            ]),
            validate,
        )
        .post(
            "/api/route",
            Op::new("check", "Routes a case form with the served rule set: the decision and its explanation.")
                .query::<RouteQuery>()
                .body::<CaseForm>()
                .answers::<Noted<RoutingDecision>>(200, "the routing decision")
                .fails(&[
                    (400, "not a case form, or a bad parameter"),
                    (401, "`case` without a staff token, or an unknown token"),
                    (403, "`case` with a client's token"),
                    (500, "the component failed"),
                    (503, "the service runs without a rule set"),
                ]),
            route,
        )
        .post(
            "/api/suggest",
            Op::new(
                "check",
                "Suggests a category for a demand's text (智能分拨) with the service's classifier model: the top \
                 three with calibrated confidences, whether it abstains, and the n-grams that weighed most.",
            )
            .body::<SuggestRequest>()
            .answers::<minyi_model::CategorySuggestion>(200, "the suggestion (abstained or not)")
            .fails(&[
                (400, "no text, text too long, or not a suggestion request"),
                (500, "the component failed"),
                (503, "the service runs without a classifier model"),
            ]),
            suggest,
        )
        .get(
            "/api/suggest/model",
            Op::new(
                "check",
                "The classifier model file the service suggests with for a district (its own when it deployed one), \
                 so that a page suggests with the same model in the `classifier` component \
                 (`/components/classifier.wasm`); its SHA-256 is the ETag.",
            )
            .query::<ModelQuery>()
            .answers_raw(200, "the model file", "application/octet-stream")
            .answers_raw(304, "the copy held (If-None-Match) is current", "application/octet-stream")
            .fails(&[(503, "the service runs without a classifier model")]),
            suggest_model,
        )
}

/// `GET /api/suggest/model`: the model's bytes, compressed once, with the SHA-256 as ETag and in
/// `X-Minyi-Sha256` (what the page checks before it loads them).
async fn suggest_model(
    State(state): State<AppState>,
    query: Result<Query<ModelQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let Query(query) = query?;
    let model = model_of(&state, query.district.as_deref())?;
    let sha = model.info().sha256.clone();
    let encoded =
        super::blocking(move || Ok(super::assets::encoded(model.bytes(), Some(&model.info().sha256)))).await?;
    let mut response = super::assets::respond(&encoded, "application/octet-stream", &headers);
    if let Ok(v) = axum::http::HeaderValue::from_str(&sha) {
        response.headers_mut().insert(axum::http::HeaderName::from_static("x-minyi-sha256"), v);
    }
    Ok(response)
}

/// What `POST /api/suggest` reads.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SuggestRequest {
    /// The demand's text (its title and description, joined by a line break, as intake reads them).
    text: String,
    /// Suggest only from this confidence (0 to 1); default: the model's own threshold.
    threshold: Option<f32>,
    /// The district the demand is for: its own model when it deployed one, else the service's.
    district: Option<String>,
}

/// `?district=` of `GET /api/suggest/model`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ModelQuery {
    /// The district: its own model when it deployed one, else the service's.
    district: Option<String>,
}

/// The model for `district` (the district's own, else the service's), or 503 `classifier.none`.
fn model_of(state: &AppState, district: Option<&str>) -> Result<Arc<LoadedModel<'static>>, AppError> {
    crate::districts::model_for(state, district.map(str::trim)).map(|c| c.model).ok_or(AppError::Off {
        feature: "classifier",
        how: "start it with `minyi serve --classifier MODEL` (a model `cargo xtask train` wrote), or deploy the \
              district's own (`minyi model upload`)",
    })
}

/// `POST /api/suggest`: `{text, threshold?}` in, a category suggestion out.
async fn suggest(State(state): State<AppState>, body: Result<String, StringRejection>) -> Result<Response, AppError> {
    let request: SuggestRequest = minyi_model::json::from_str(&body?).map_err(|e| AppError::BadRequest {
        code: "json.invalid".into(),
        message: format!("not a suggestion request ({{\"text\": \"…\"}}): {e}"),
    })?;
    let model = model_of(&state, request.district.as_deref())?;
    if let Some(t) = request.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
        return Err(AppError::BadRequest {
            code: "threshold.out_of_range".into(),
            message: format!("threshold: {t} is not between 0 and 1"),
        });
    }
    let json = super::blocking(move || Ok(model.suggest_json(&request.text, request.threshold)?)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

#[derive(Deserialize, JsonSchema)]
struct ValidateQuery {
    /// The validation time (RFC 3339); default: now in Beijing.
    now: Option<String>,
    /// The case number, when the caller has stored the case: a plugin fault is stored with it (staff
    /// only: `Authorization: Bearer <staff token>`).
    case: Option<String>,
}

/// `?case=` files plugin faults under a case number, so only staff may give one: anyone else could
/// litter any case's record.
fn staff_case(staff: Option<&StaffAuth>, case: Option<String>) -> Result<Option<String>, AppError> {
    match (case, staff) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(AuthError::Unauthenticated.into()),
        (Some(_), Some(StaffAuth(s))) if s.role == Role::Client => {
            Err(AuthError::Forbidden("case: only staff may file a check under a case number".into()).into())
        }
        (Some(case), Some(_)) => Ok(Some(case)),
    }
}

fn unreadable(what: &str, e: serde_json::Error) -> AppError {
    AppError::Internal(format!("the component returned an unreadable {what}: {e}"))
}

/// `POST /api/validate[?now=&case=ID]`: a case-form document in, a validation-result document out.
async fn validate(
    State(state): State<AppState>,
    staff: Option<StaffAuth>,
    q: Result<Query<ValidateQuery>, QueryRejection>,
    body: Result<String, StringRejection>,
) -> Result<Response, AppError> {
    let Query(mut q) = q?;
    q.case = staff_case(staff.as_ref(), q.case)?;
    let body = body?;
    let now = q.now.unwrap_or_else(|| state.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
    let json = super::blocking(move || {
        // The district's own schema when it deployed one, as on intake.
        let schema = crate::intake::deployed_schema(state.plugins.as_deref(), body.as_bytes());
        let json = crate::intake::validate_body(
            &state.runtime,
            body.as_bytes(),
            &now,
            schema.as_ref().map(|(_, s)| s.text()),
        )?;
        let result: ValidationResult = serde_json::from_str(&json).map_err(|e| unreadable("validation result", e))?;
        let noted = crate::plugins::validate(state.plugins.as_deref(), q.case.as_deref(), result);
        serde_json::to_string(&noted).map_err(|e| unreadable("validation result", e))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

#[derive(Deserialize, JsonSchema)]
struct RouteQuery {
    /// Earlier demands of the same reporter or address.
    #[serde(default)]
    repeat: u32,
    /// The case number, when the caller has stored the case: a plugin fault is stored with it (staff
    /// only).
    case: Option<String>,
}

/// `POST /api/route?repeat=N[&case=ID]`: a case-form document in, a routing-decision document out.
async fn route(
    State(state): State<AppState>,
    staff: Option<StaffAuth>,
    q: Result<Query<RouteQuery>, QueryRejection>,
    body: Result<String, StringRejection>,
) -> Result<Response, AppError> {
    let Query(mut q) = q?;
    q.case = staff_case(staff.as_ref(), q.case)?;
    let body = body?;
    let rules = state.rules()?;
    let json = super::blocking(move || {
        let json = rules.route_json(&body, CaseContext { repeat_count: q.repeat })?;
        let decision: RoutingDecision = serde_json::from_str(&json).map_err(|e| unreadable("routing decision", e))?;
        // The router read the form, so it parses; a plugin sees it only then.
        let noted = match (&state.plugins, serde_json::from_str::<CaseForm>(&body)) {
            (Some(p), Ok(form)) => p.route(q.case.as_deref(), &form, decision),
            _ => Noted::plain(decision),
        };
        serde_json::to_string(&noted).map_err(|e| unreadable("routing decision", e))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use minyi_runtime::Runtime;
    use std::sync::Arc;
    use tower::ServiceExt;

    fn state() -> AppState {
        let runtime = Arc::new(Runtime::new(Default::default()).expect("components load"));
        let beijing = include_str!("../../../../components/routing/rulesets/beijing.toml");
        let rules = runtime.compile_rules_shared(beijing).expect("runs").expect("the Beijing set compiles");
        AppState {
            runtime,
            web_dir: std::env::temp_dir(),
            rules: Some(Arc::new(rules)),
            plugins: None,
            cases: None,
            admins: None,
            clock: Default::default(),
            allow_origins: Vec::new(),
            guard: crate::http::Guard::default(),
            classifier: None,
        }
    }

    #[tokio::test]
    async fn route_endpoint_returns_the_decision_with_its_explanation() {
        let form = r#"{"district":"110105","street":"110105026","channel":"web","kind":"complaint","category":"utilities.heating.outage","title":"暖气不热","description":"","address":"望京","consent":true,"received_at":"2026-11-29T10:00:00+08:00"}"#;
        let req = Request::post("/api/route?repeat=5").body(Body::from(form)).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!((v["lead"].as_str(), v["tier"].as_str()), (Some("bj.heating"), Some("urgent")), "{v}");
        assert_eq!(v["escalate"], serde_json::json!(["110105.gov"]), "the fifth repeat is supervised");
        assert_eq!(v["explanation"]["fired"][0]["rule"], "repeat-3");

        let req = Request::post("/api/route").body(Body::from("{\"kind\": 3}")).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["code"], "json.invalid");

        let mut without = state();
        without.rules = None;
        let req = Request::post("/api/route").body(Body::from(form)).expect("request");
        let (status, body) = send(app(without), req).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["code"], "rules.none");
    }

    async fn send(app: Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        let res = app.oneshot(req).await.expect("infallible");
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
        (status, body.to_vec())
    }

    #[tokio::test]
    async fn validate_endpoint_reports_field_issues() {
        let form = r#"{"district":"110105","channel":"web","kind":"complaint","category":"urban.sanitation.garbage","title":"垃圾没人清运","description":"垃圾三天没人清运了","address":"望京","reporter":{"phone":"1380013"},"consent":true,"received_at":"2026-11-29T10:00:00+08:00"}"#;
        let req =
            Request::post("/api/validate?now=2026-11-29T10:05:00%2B08:00").body(Body::from(form)).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["valid"], false);
        assert_eq!(v["issues"].as_array().map(Vec::len), Some(1), "{v}");
        assert_eq!(v["normalized"]["street"], "110105026", "望京 resolved to its street");
        assert_eq!(v["issues"][0]["field"], "reporter.phone");
        assert_eq!(v["issues"][0]["code"], "phone.invalid");
    }

    /// Every rejection — of the body, the query, the path, a missing token or feature — is JSON
    /// `{code, message}` with the status that says what to do, never axum's plain text.
    #[tokio::test]
    async fn every_rejection_answers_code_and_message() {
        let big = vec![b'x'; 3 << 20];
        let cases = [
            (Request::post("/api/validate").body(Body::from(vec![0xff, 0xfe, b'{'])), 400, "body.invalid"),
            (Request::post("/api/validate").body(Body::from(big)), 413, "body.too_large"),
            (Request::post("/api/route?repeat=lots").body(Body::from("{}")), 400, "query.invalid"),
            (Request::get("/api/cases").body(Body::empty()), 401, "auth.unknown_token"),
            (Request::get("/api/admin/plugins/110105").body(Body::empty()), 401, "auth.unknown_token"),
            (Request::post("/api/cases").body(Body::from("{}")), 503, "cases.none"),
            (
                Request::get("/api/cases/BJ-1").header("authorization", "Bearer x").body(Body::empty()),
                503,
                "cases.none",
            ),
        ];
        for (req, status, code) in cases {
            let req = req.expect("request");
            let what = format!("{} {}", req.method(), req.uri());
            let (got, body) = send(app(state()), req).await;
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
                panic!("{what}: not JSON: {}", String::from_utf8_lossy(&body[..body.len().min(200)]))
            });
            assert_eq!((got.as_u16(), v["code"].as_str()), (status, Some(code)), "{what}: {v}");
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {v}");
        }
    }

    #[tokio::test]
    async fn malformed_json_is_a_400_naming_the_problem() {
        let req = Request::post("/api/validate").body(Body::from("{")).expect("request");
        let (status, body) = send(app(state()), req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["code"], "json.invalid");
    }

    #[tokio::test]
    async fn serves_the_loaded_component_bytes() {
        let state = state();
        let expected = state.runtime.component("validator").expect("loaded").bytes.clone();
        let (status, body) =
            send(app(state), Request::get("/components/validator.wasm").body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, expected.to_vec());
        let (status, _) =
            send(app(self::state()), Request::get("/components/nope.wasm").body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
