//! `GET /api/scores?month=YYYY-MM[&district=CODE]` and `GET /api/hotspots?month=…`: the three rates
//! and hotspots over the stored events (the district scoring plugins' reviews among them, kept as each
//! case changed), through the scorer component — the same JSON `minyi score --json` and
//! `minyi hotspots --json` print on those events. For district admins and reviewers (their district)
//! and city admins.

use super::api::{Api, Auth, Op};
use super::{AppState, StaffAuth, blocking};
use crate::AppError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use minyi_auth::Role;
use minyi_cases::Filter;
use minyi_model::{HotspotReport, Ranking};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// The score routes.
pub(super) fn routes() -> Api {
    let refused: &[(u16, &str)] = &[
        (400, "a bad month or parameter"),
        (401, "no token or an unknown one"),
        (403, "not an admin or reviewer of the district"),
        (503, "the service runs without a case store"),
    ];
    Api::new()
        .get(
            "/api/scores",
            Op::new("scores", "The month's three rates and composite per unit, ranked (三率).")
                .auth(Auth::Staff)
                .query::<PeriodQuery>()
                .answers::<Ranking>(200, "the ranking")
                .fails(refused),
            scores,
        )
        .get(
            "/api/hotspots",
            Op::new("scores", "The month's hotspots, repeated demands and 每月一题 candidates.")
                .auth(Auth::Staff)
                .query::<PeriodQuery>()
                .answers::<HotspotReport>(200, "the report")
                .fails(refused),
            hotspots,
        )
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PeriodQuery {
    /// The month, `YYYY-MM`.
    month: String,
    /// A district code (district admins and reviewers: their own; the city: any, or all when absent).
    district: Option<String>,
}

/// What both reports share: who may ask, the district's stored events, the scoreboard filled.
fn report(state: &AppState, staff: &minyi_auth::Staff, q: PeriodQuery, hotspots: bool) -> Result<Value, AppError> {
    staff.one_of(&[Role::City, Role::District, Role::Reviewer])?;
    let store = state.cases()?;
    let district = staff.scope(q.district)?;
    let mut request = json!({ "month": q.month });
    if let Some(d) = &district {
        request["district"] = json!(d);
    }
    let events = store.events(&Filter { district: district.as_deref(), ..Filter::default() })?;
    let mut cases = crate::scores::group(&events).map_err(|e| AppError::Internal(e.to_string()))?;
    // The district plugins' reviews are already among the stored events (`crate::rescore` keeps them
    // as each case changes): asking the plugins again here would let an upgrade change past months.
    let board = crate::scores::fill(&state.runtime, &request.to_string(), &mut cases, None)?;
    let json = if hotspots { board.hotspots_json()? } else { board.ranking_json()? };
    serde_json::from_str(&json).map_err(|e| AppError::Internal(format!("the scorer's report is unreadable: {e}")))
}

/// `GET /api/scores`: the month's ranking (the `Ranking` shape).
async fn scores(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let Query(q) = q?;
    blocking(move || Ok(Json(report(&state, &staff, q, false)?))).await
}

/// `GET /api/hotspots`: the month's hotspots, repeats and 每月一题 candidates (the `HotspotReport` shape).
async fn hotspots(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let Query(q) = q?;
    blocking(move || Ok(Json(report(&state, &staff, q, true)?))).await
}
