//! Open311 GeoReport v2 (JSON) at `/open311/v2/`: the services (category leaves, with the district
//! schema's attributes), posting a request (a `client` token as `api_key`; the same intake as
//! `POST /api/cases`: stored first, then validated, routed and dispatched), reading requests (where they
//! stand, never who filed them or what they wrote) and tokens. Errors are `[{code, description}]`,
//! each naming the parameter. The shapes and mappings are `minyi_model::georeport`'s.

use super::api::{Api, Op};
use super::{AppState, blocking};
use crate::AppError;
use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration};
use minyi_auth::Role;
use minyi_cases::{CaseSummary, Filter};
use minyi_model::georeport::{self, GeoError, Locale, Posted, Service, ServiceDefinition, ServiceRequest};
use minyi_model::{CaseState, IntakeReport, Severity, categories, divisions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The GeoReport routes.
pub(super) fn routes() -> Api {
    Api::new()
        .get(
            "/open311/v2/services.json",
            Op::new(
                "open311",
                "GeoReport v2: one service per category leaf; `metadata` where the schema adds attributes.",
            )
            .query::<Where>()
            .answers::<Vec<Service>>(200, "the services")
            .fails_geo(&[(400, "a bad jurisdiction_id")]),
            services,
        )
        .get(
            "/open311/v2/services/{file}",
            Op::new("open311", "GeoReport v2: a service's attributes, from the district schema.")
                .param("file", "`{service_code}.json`")
                .query::<Where>()
                .answers::<ServiceDefinition>(200, "the service definition")
                .fails_geo(&[(400, "a bad jurisdiction_id"), (404, "no such service, or not .json")]),
            definition,
        )
        .post(
            "/open311/v2/requests.json",
            Op::new("open311", "GeoReport v2: files a request with a client key, through the same intake as the API.")
                .form::<PostRequest>()
                .answers::<Vec<Posted>>(201, "taken: the request id, its token and notice")
                .fails_geo(&[
                    (400, "a parameter is missing or refused (named; the request is stored, rejected)"),
                    (403, "`api_key` is not a client key, or not for this jurisdiction"),
                    (503, "the request could not be stored"),
                ]),
            post,
        )
        .get(
            "/open311/v2/requests.json",
            Op::new("open311", "GeoReport v2: requests by id, service, window and status — no personal data.")
                .query::<Listing>()
                .answers::<Vec<ServiceRequest>>(200, "the requests, newest first")
                .fails_geo(&[(400, "a bad parameter (named)"), (503, "the service runs without a case store")]),
            requests,
        )
        .get(
            "/open311/v2/requests/{file}",
            Op::new("open311", "GeoReport v2: one request — where it stands, never who filed it or what they wrote.")
                .param("file", "`{service_request_id}.json`")
                .query::<Where>()
                .answers::<Vec<ServiceRequest>>(200, "the request (a list of one, as the spec says)")
                .fails_geo(&[(404, "no such request, or not .json")]),
            request,
        )
        .get(
            "/open311/v2/tokens/{file}",
            Op::new("open311", "GeoReport v2: the request a token was given for.")
                .param("file", "`{token}.json`")
                .answers::<Vec<TokenAnswer>>(200, "the request id")
                .fails_geo(&[(404, "no request was given this token")]),
            token,
        )
}

/// The parameters of `POST requests.json`, form-encoded (or a JSON object with the same keys;
/// `attribute` may then be an object of codes). Read by `params` and `georeport::case_form`.
#[derive(JsonSchema)]
#[allow(dead_code)] // describes what `params` reads
struct PostRequest {
    /// A `client` token.
    api_key: String,
    /// The district code; default: the key's own district.
    jurisdiction_id: Option<String>,
    /// A category leaf code (`services.json`).
    service_code: String,
    /// Where: WGS-84 latitude (with `long`), or `address_string`.
    lat: Option<f64>,
    /// WGS-84 longitude.
    long: Option<f64>,
    /// The address as written.
    address_string: Option<String>,
    /// The demand in the citizen's words.
    description: Option<String>,
    /// A photo's URL, kept with the description.
    media_url: Option<String>,
    /// The citizen's given name.
    first_name: Option<String>,
    /// The citizen's family name.
    last_name: Option<String>,
    /// Phone number.
    phone: Option<String>,
    /// E-mail address.
    email: Option<String>,
    /// The caller's account, echoed back.
    account_id: Option<String>,
    /// `zh-CN` (default) or `en`, for notices.
    locale: Option<String>,
    /// `false` when the citizen did not consent to the processing of their personal data.
    consent: Option<bool>,
    /// The service's attributes: `attribute[CODE]=value`, `attribute[CODE][]=value` for multi-value lists.
    #[schemars(rename = "attribute[CODE]")]
    attribute: Option<String>,
}

/// A token's request.
#[derive(Serialize, JsonSchema)]
struct TokenAnswer {
    /// The case number.
    service_request_id: String,
    /// The token asked about.
    token: String,
}

/// Most ids one `service_request_id` list may name.
const MAX_IDS: usize = 100;
/// Most requests one listing returns (the spec's default).
const MAX_LISTED: u32 = 1_000;
/// The listing's window when `start_date` is not given (the spec's default).
const DEFAULT_DAYS: i64 = 90;

/// A GeoReport failure: its status and the errors, as `[{code, description}]`.
#[derive(Debug)]
pub(crate) struct Geo(StatusCode, Vec<GeoError>);

impl Geo {
    fn one(status: StatusCode, param: &str, problem: impl std::fmt::Display) -> Self {
        Geo(status, vec![GeoError { code: status.as_u16(), description: format!("{param}: {problem}") }])
    }

    fn bad(param: &str, problem: impl std::fmt::Display) -> Self {
        Geo::one(StatusCode::BAD_REQUEST, param, problem)
    }
}

impl From<AppError> for Geo {
    fn from(e: AppError) -> Self {
        let (status, code, message) = e.public();
        Geo(status, vec![GeoError { code: status.as_u16(), description: format!("{code}: {message}") }])
    }
}

impl IntoResponse for Geo {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

/// `{name}.json` → `name`; any other format is not served.
fn json_file(file: &str) -> Result<&str, Geo> {
    file.strip_suffix(".json")
        .filter(|name| !name.is_empty())
        .ok_or_else(|| Geo::one(StatusCode::NOT_FOUND, "format", "only .json is served (GeoReport v2 JSON)"))
}

#[derive(Deserialize, Default, JsonSchema)]
struct Where {
    /// A district code; default: Beijing's city-wide form.
    jurisdiction_id: Option<String>,
    /// `zh-CN` (default) or `en`.
    locale: Option<String>,
}

/// A `jurisdiction_id`: one of Beijing's 16 district codes.
fn district(id: Option<&str>) -> Result<Option<String>, Geo> {
    match id.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) if divisions::district(d).is_some_and(|x| x.code == d) => Ok(Some(d.to_owned())),
        Some(d) => Err(Geo::bad("jurisdiction_id", format!("{d:?} is not the code of one of Beijing's 16 districts"))),
    }
}

/// The form a district's services follow (its deployed schema, else the built-in one, else Beijing's).
fn spec(state: &AppState, district: Option<&str>) -> minyi_model::FormSpec {
    crate::districts::form_spec(state.plugins.as_deref(), district.unwrap_or("110000"))
}

/// `GET services.json[?jurisdiction_id=&locale=]`: one service per category leaf.
async fn services(
    State(state): State<AppState>,
    q: Result<Query<Where>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Geo> {
    let Query(q) = q.map_err(|e| Geo::bad("query", e.body_text()))?;
    let d = district(q.jurisdiction_id.as_deref())?;
    let locale = Locale::parse(q.locale.as_deref());
    Ok(Json(georeport::services(&spec(&state, d.as_deref()), locale)).into_response())
}

/// `GET services/{service_code}.json`: the attributes the district schema asks for that service.
async fn definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<Where>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Geo> {
    let Query(q) = q.map_err(|e| Geo::bad("query", e.body_text()))?;
    let code = json_file(&file)?;
    let d = district(q.jurisdiction_id.as_deref())?;
    georeport::definition(&spec(&state, d.as_deref()), code, Locale::parse(q.locale.as_deref()))
        .map(|def| Json(def).into_response())
        .ok_or_else(|| Geo::one(StatusCode::NOT_FOUND, "service_code", format!("{code:?} is not a service")))
}

/// The parameters of a posted request: form-encoded as the spec says, or a JSON object (whose
/// `attribute` may be an object of codes), each key once per value.
fn params(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, Geo> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Ok(form_urlencoded::parse(body).into_owned().collect());
    }
    georeport::json_params(body).map_err(|(field, message)| Geo::bad(&field, message))
}

/// `POST requests.json`: files a demand for the `client` token of `api_key`, in the district of
/// `jurisdiction_id` (or the token's own). Stored first, whatever it says; 201 with the case number and
/// its tracking token when it was taken, 400 naming each parameter the validator refused (the case is
/// stored, rejected), 403 for a key that is not a client's or not for that district.
async fn post(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Geo> {
    let limit = state.guard.body_limit;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Geo::one(e.status(), "body", format!("larger than the {limit} bytes taken")),
        status => Geo::one(status, "body", e.body_text()),
    })?;
    let mut params = params(&headers, &body)?;
    // The key and the jurisdiction may come in the query string too.
    let query = query.unwrap_or_default();
    let in_query = form_urlencoded::parse(query.as_bytes()).into_owned();
    params.extend(in_query.filter(|(k, _)| k == "api_key" || k == "jurisdiction_id"));
    let one = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned());
    let key = one("api_key").filter(|k| !k.is_empty()).ok_or_else(|| Geo::bad("api_key", "required: a client key"))?;
    let asked = district(one("jurisdiction_id").as_deref())?;
    let locale = Locale::parse(one("locale").as_deref());
    let account_id = one("account_id").filter(|a| !a.is_empty());
    let admins = state.admins.clone().ok_or_else(|| {
        Geo::from(AppError::Off { feature: "cases", how: "start it with `minyi serve --db FILE|URL`" })
    })?;
    let store = state.cases().map_err(Geo::from)?;
    let forbidden = |why: String| Geo::one(StatusCode::FORBIDDEN, "api_key", why);
    let client =
        blocking(move || Ok(admins.authenticate(&key)?)).await.map_err(|_| forbidden("not a valid key".into()))?;
    if client.role != Role::Client {
        return Err(forbidden(format!("a {} token is not a client key", client.role.as_str())));
    }
    let district = match (asked, client.district.clone()) {
        (Some(a), Some(own)) if a != own => return Err(forbidden(format!("this key files for {own}, not {a}"))),
        (Some(d), _) | (None, Some(d)) => d,
        (None, None) => return Err(Geo::bad("jurisdiction_id", "required: the district code, e.g. 110105")),
    };
    let now = state.clock.now();
    let document = georeport::case_form(&params, &district, &now.to_rfc3339()).to_string();
    let report = blocking(move || Ok(crate::intake::intake(&state, &store, document.as_bytes(), now)?))
        .await
        .map_err(Geo::from)?;
    if report.state == CaseState::Rejected {
        return Err(Geo(StatusCode::BAD_REQUEST, refusals(&report)));
    }
    let location = format!("/open311/v2/requests/{}.json", report.case_id);
    let posted = Posted {
        service_notice: georeport::service_notice(report.state, locale),
        service_request_id: report.case_id,
        token: report.tracking_token,
        account_id,
    };
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(vec![posted])).into_response())
}

/// Why intake refused a request, one error per refused field, each naming its parameter.
fn refusals(report: &IntakeReport) -> Vec<GeoError> {
    let stored = format!("stored as {}", report.case_id);
    let mut errors: Vec<GeoError> = report
        .validation
        .iter()
        .flat_map(|v| v.result.issues.iter())
        .filter(|i| i.severity == Severity::Error)
        .map(|i| GeoError {
            code: 400,
            description: format!(
                "{}: {} — {} / {} ({stored})",
                georeport::param_of(&i.field),
                i.code,
                i.message.zh_cn,
                i.message.en
            ),
        })
        .collect();
    if errors.is_empty() {
        let reason = report.reason.clone().unwrap_or_else(|| "not accepted".into());
        let code = report.code.clone().map(|c| format!("{c}: ")).unwrap_or_default();
        errors.push(GeoError { code: 400, description: format!("{code}{reason} ({stored})") });
    }
    errors
}

#[derive(Deserialize, Default, JsonSchema)]
struct Listing {
    /// A district code.
    jurisdiction_id: Option<String>,
    /// Comma-separated request ids (at most 100); the other filters then do not apply.
    service_request_id: Option<String>,
    /// One service code.
    service_code: Option<String>,
    /// Received from (W3C datetime); default 90 days before `end_date`.
    start_date: Option<String>,
    /// Received until (W3C datetime); default now.
    end_date: Option<String>,
    /// `open`, `closed`, or both comma-separated.
    status: Option<String>,
    /// `zh-CN` (default) or `en`.
    locale: Option<String>,
}

/// A request as anyone may read it.
fn view(case: &CaseSummary, locale: Locale) -> ServiceRequest {
    let closed = georeport::is_closed(case.state);
    let service = case.category.as_deref().and_then(categories::leaf);
    ServiceRequest {
        service_request_id: case.case_id.clone(),
        status: if closed { "closed" } else { "open" }.to_owned(),
        status_notes: georeport::status_notes(case.state, locale),
        service_name: service.map(|c| if locale == Locale::En { c.en } else { c.zh_cn }.to_owned()),
        service_code: case.category.clone(),
        agency_responsible: case.lead.as_deref().map(georeport::unit_name),
        service_notice: georeport::service_notice(case.state, locale),
        requested_datetime: case.received_at.clone(),
        updated_datetime: case.updated_at.clone(),
        expected_datetime: case.deadline.clone().filter(|_| !closed),
    }
}

/// A `start_date` or `end_date`: RFC 3339 (W3C), in Unix milliseconds.
fn date(param: &str, value: Option<&str>) -> Result<Option<i64>, Geo> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.timestamp_millis())
                .map_err(|e| Geo::bad(param, format!("{v:?} is not an RFC 3339 date-time ({e})")))
        })
        .transpose()
}

/// `GET requests.json`: requests by id (`service_request_id=a,b`, every other filter then ignored, as the
/// spec says), else the newest first by `jurisdiction_id`, `service_code`, `status` (`open`, `closed`)
/// and `start_date`/`end_date` (the last 90 days by default), at most 1,000.
async fn requests(
    State(state): State<AppState>,
    q: Result<Query<Listing>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Geo> {
    let Query(q) = q.map_err(|e| Geo::bad("query", e.body_text()))?;
    let locale = Locale::parse(q.locale.as_deref());
    let store = state.cases().map_err(Geo::from)?;
    if let Some(ids) = q.service_request_id.as_deref().filter(|s| !s.trim().is_empty()) {
        let ids: Vec<String> = ids.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if ids.len() > MAX_IDS {
            return Err(Geo::bad("service_request_id", format!("at most {MAX_IDS} ids at once")));
        }
        let found = blocking(move || {
            let mut found = Vec::new();
            for id in &ids {
                found.extend(store.list(&Filter { case_id: Some(id), limit: 1, ..Filter::default() })?);
            }
            Ok(found)
        })
        .await
        .map_err(Geo::from)?;
        return Ok(Json(found.iter().map(|c| view(c, locale)).collect::<Vec<_>>()).into_response());
    }
    let d = district(q.jurisdiction_id.as_deref())?;
    let until = date("end_date", q.end_date.as_deref())?.unwrap_or_else(|| state.clock.now().timestamp_millis());
    let since = date("start_date", q.start_date.as_deref())?
        .unwrap_or_else(|| until - Duration::days(DEFAULT_DAYS).num_milliseconds());
    if since > until {
        return Err(Geo::bad("start_date", "is after end_date"));
    }
    let closed: Vec<CaseState> = CaseState::ALL.into_iter().filter(|s| georeport::is_closed(*s)).collect();
    let states_in = match q.status.as_deref().map(str::trim).unwrap_or_default() {
        "" => None,
        s => {
            let (mut open, mut shut) = (false, false);
            for part in s.split(',').map(str::trim) {
                match part {
                    "open" => open = true,
                    "closed" => shut = true,
                    other => return Err(Geo::bad("status", format!("{other:?} is neither open nor closed"))),
                }
            }
            if open && shut { None } else { Some(shut) }
        }
    };
    let service = q.service_code.filter(|s| !s.trim().is_empty());
    let found = blocking(move || {
        Ok(store.list(&Filter {
            district: d.as_deref(),
            category: service.as_deref(),
            since_ms: Some(since),
            until_ms: Some(until),
            states_in: states_in.map(|within| (within, closed.as_slice())),
            limit: MAX_LISTED,
            ..Filter::default()
        })?)
    })
    .await
    .map_err(Geo::from)?;
    Ok(Json(found.iter().map(|c| view(c, locale)).collect::<Vec<_>>()).into_response())
}

/// `GET requests/{id}.json`: one request, as a list of one (the spec's shape); 404 when there is none.
async fn request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<Where>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Geo> {
    let Query(q) = q.map_err(|e| Geo::bad("query", e.body_text()))?;
    let id = json_file(&file)?.to_owned();
    let store = state.cases().map_err(Geo::from)?;
    let locale = Locale::parse(q.locale.as_deref());
    let lookup = id.clone();
    let found = blocking(move || Ok(store.list(&Filter { case_id: Some(&lookup), limit: 1, ..Filter::default() })?))
        .await
        .map_err(Geo::from)?;
    if found.is_empty() {
        return Err(Geo::one(StatusCode::NOT_FOUND, "service_request_id", format!("no request {id:?}")));
    }
    Ok(Json(found.iter().map(|c| view(c, locale)).collect::<Vec<_>>()).into_response())
}

/// `GET tokens/{token}.json`: the request a token was given for (the tracking token a post returned).
async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, Geo> {
    let token = json_file(&file)?.to_owned();
    let store = state.cases().map_err(Geo::from)?;
    let lookup = token.clone();
    let id = blocking(move || Ok(store.by_token(&lookup)?)).await.map_err(Geo::from)?;
    let id = id.ok_or_else(|| Geo::one(StatusCode::NOT_FOUND, "token", "no request was given this token"))?;
    Ok(Json(vec![TokenAnswer { service_request_id: id, token }]).into_response())
}
