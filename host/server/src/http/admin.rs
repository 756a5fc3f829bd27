//! Administration over HTTP, so that a district admin needs a token and no database credentials
//! (`minyi token|case|plugin … --server URL`): tokens (create, list, revoke — the same rules as
//! `minyi token`), districts' signing keys (city admins), a district's plugin faults, and the export of
//! case events that `minyi score` reads.

use super::api::{Api, Auth, Op};
use super::{AppState, StaffAuth, blocking};
use crate::AppError;
use crate::error::json_body;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection, StringRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minyi_auth::{AuthError, Created, NewToken, Role, TokenInfo};
use minyi_cases::Filter;
use minyi_model::CaseState;
use minyi_registry::StoredFault;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routes.
pub(super) fn routes() -> Api {
    let refused: &[(u16, &str)] = &[
        (400, "a malformed body or parameter"),
        (401, "no token or an unknown one"),
        (403, "the caller's role or district may not"),
        (422, "a field is wrong (named)"),
        (503, "the service runs without a database"),
    ];
    Api::new()
        .get(
            "/api/me",
            Op::new("admin", "Who the token's holder is: role, district, unit, name.")
                .auth(Auth::Staff)
                .answers::<minyi_auth::Staff>(200, "the holder")
                .fails(&[(401, "no token or an unknown one")]),
            me,
        )
        .post(
            "/api/admin/tokens",
            Op::new("admin", "Makes a token: a city admin any; a district admin its district's staff and clients.")
                .auth(Auth::Staff)
                .body::<TokenRequest>()
                .answers::<Created>(201, "the token (shown this once) and what it is")
                .fails(refused),
            create_token,
        )
        .get(
            "/api/admin/tokens",
            Op::new("admin", "The tokens the caller may see (never their secrets).")
                .auth(Auth::Staff)
                .answers::<TokenList>(200, "the tokens")
                .fails(refused),
            list_tokens,
        )
        .post(
            "/api/admin/tokens/{id}/revoke",
            Op::new("admin", "Revokes a token by its id: it authenticates nobody from then on.")
                .auth(Auth::Staff)
                .param("id", "the token's id, as listed")
                .answers::<TokenInfo>(200, "the token as revoked")
                .fails(&[(401, "no token or an unknown one"), (403, "may not revoke it"), (404, "no such token")]),
            revoke_token,
        )
        .post(
            "/api/admin/keys",
            Op::new("admin", "Registers a district's ed25519 public key for signed plugins (city admins).")
                .auth(Auth::Staff)
                .body::<TrustKey>()
                .answers::<TrustKey>(200, "the key registered")
                .fails(refused),
            trust_key,
        )
        .get(
            "/api/admin/plugins/{district}/faults",
            Op::new("plugins", "A district's stored plugin faults, newest first, from every node; or one case's.")
                .auth(Auth::Staff)
                .param("district", "the district code")
                .query::<FaultsQuery>()
                .answers::<Vec<StoredFault>>(200, "the faults")
                .fails(refused),
            faults,
        )
        .get(
            "/api/events",
            Op::new(
                "cases",
                "Every event of the district's cases, one JSON object per line — what `minyi score` reads.",
            )
            .auth(Auth::Staff)
            .query::<EventsQuery>()
            .answers_raw(200, "case events, JSON lines", "application/x-ndjson")
            .fails(refused),
            events,
        )
}

/// `GET /api/me`.
async fn me(StaffAuth(by): StaffAuth) -> Json<minyi_auth::Staff> {
    Json(by)
}

/// A token to make.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    /// `city`, `district`, `operator`, `reviewer` or `client`.
    role: Role,
    /// The district (a district admin's, a reviewer's, a client's; an operator's follows from a street unit).
    district: Option<String>,
    /// The unit (an operator's): a street code such as `110105026`, or a department such as `bj.heating`.
    unit: Option<String>,
    /// A name for people.
    name: Option<String>,
}

/// `POST /api/admin/tokens`.
async fn create_token(
    State(state): State<AppState>,
    StaffAuth(by): StaffAuth,
    body: Result<String, StringRejection>,
) -> Result<Response, AppError> {
    let admins = state.admins.clone().ok_or(AuthError::Unauthenticated)?;
    let r: TokenRequest = json_body(&body?)?;
    let created = blocking(move || {
        let spec = NewToken {
            role: Some(r.role),
            district: r.district.as_deref(),
            unit: r.unit.as_deref(),
            name: r.name.as_deref(),
        };
        Ok(admins.create(Some(&by), &spec)?)
    })
    .await?;
    tracing::info!(id = created.staff.id, role = created.staff.role.as_str(), "token created over HTTP");
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Tokens as listed.
#[derive(Serialize, JsonSchema)]
struct TokenList {
    /// Oldest first.
    tokens: Vec<TokenInfo>,
}

/// `GET /api/admin/tokens`.
async fn list_tokens(State(state): State<AppState>, StaffAuth(by): StaffAuth) -> Result<Json<TokenList>, AppError> {
    let admins = state.admins.clone().ok_or(AuthError::Unauthenticated)?;
    blocking(move || Ok(Json(TokenList { tokens: admins.list(&by)? }))).await
}

/// `POST /api/admin/tokens/{id}/revoke`.
async fn revoke_token(
    State(state): State<AppState>,
    StaffAuth(by): StaffAuth,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TokenInfo>, AppError> {
    let admins = state.admins.clone().ok_or(AuthError::Unauthenticated)?;
    let Path(id) = id?;
    blocking(move || Ok(Json(admins.revoke(&by, &id)?))).await
}

/// A district's signing key.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TrustKey {
    /// The district code.
    district: String,
    /// The ed25519 public key, hex (`minyi plugin keygen`).
    public_key: String,
}

/// `POST /api/admin/keys`.
async fn trust_key(
    State(state): State<AppState>,
    StaffAuth(by): StaffAuth,
    body: Result<String, StringRejection>,
) -> Result<Json<TrustKey>, AppError> {
    let p = state.plugins()?;
    let key: TrustKey = json_body(&body?)?;
    blocking(move || {
        p.registry.trust_key(&by, &key.district, &key.public_key)?;
        Ok(Json(key))
    })
    .await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FaultsQuery {
    /// Only the faults of this case.
    case: Option<String>,
    /// How many at most (default 100, at most 1 000).
    limit: Option<u32>,
}

/// `GET /api/admin/plugins/{district}/faults`.
async fn faults(
    State(state): State<AppState>,
    StaffAuth(by): StaffAuth,
    district: Result<Path<String>, PathRejection>,
    q: Result<Query<FaultsQuery>, QueryRejection>,
) -> Result<Json<Vec<StoredFault>>, AppError> {
    let p = state.plugins()?;
    let Path(district) = district?;
    let Query(q) = q?;
    blocking(move || {
        by.administers(&district)?;
        p.registry.persist(&p.host)?;
        let faults = match q.case {
            Some(case) => p.registry.case_faults(&by, &case)?.into_iter().filter(|f| f.district == district).collect(),
            None => p.registry.faults(&by, &district, i64::from(q.limit.unwrap_or(100).min(1_000)))?,
        };
        Ok(Json(faults))
    })
    .await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// A district code (district admins and reviewers: their own; the city: any, or all when absent).
    district: Option<String>,
    /// Only cases in this state.
    state: Option<CaseState>,
}

/// `GET /api/events`: JSON lines, case by case, each case's events oldest first.
async fn events(
    State(state): State<AppState>,
    StaffAuth(by): StaffAuth,
    q: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let store = state.cases()?;
    let Query(q) = q?;
    let text = blocking(move || {
        let district = by.scope(q.district)?;
        let events = store.events(&Filter { district: district.as_deref(), state: q.state, ..Filter::default() })?;
        let mut text = String::new();
        for e in events {
            text.push_str(&serde_json::to_string(&e).map_err(|e| AppError::Internal(e.to_string()))?);
            text.push('\n');
        }
        Ok(text)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")], text).into_response())
}
