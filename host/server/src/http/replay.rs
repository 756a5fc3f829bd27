//! `GET /api/cases/{id}/replay`: a case's kept decisions run again on the recorded deciders and on
//! today's — what `minyi replay --case` prints — for the admins of the case's district and the city.

use super::api::{Api, Auth, Op};
use super::{AppState, StaffAuth, blocking};
use crate::AppError;
use crate::replay::{CaseReplay, ReplayError, Replayer, Today};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use minyi_plugins::{PluginHost, PluginHostConfig};

/// The replay route.
pub(super) fn routes() -> Api {
    Api::new().get(
        "/api/cases/{id}/replay",
        Op::new(
            "cases",
            "A case's decisions run again on the recorded deciders and on today's (its district's admins, the city).",
        )
        .auth(Auth::Staff)
        .param("id", "the case number, e.g. `BJ-20261205-000042`")
        .answers::<CaseReplay>(200, "each decision: identical, or the first field that differs and what changed")
        .fails(&[
            (401, "no token or an unknown one"),
            (403, "not an admin of the case's district"),
            (404, "no such case"),
            (503, "the service runs without a case store, a rule set or a plugin registry"),
        ]),
        replay,
    )
}

/// Runs the case's decisions again, on a plugin host of its own (today's active plugins, loaded from
/// the registry) so the service's host is not disturbed.
async fn replay(
    State(state): State<AppState>,
    StaffAuth(staff): StaffAuth,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<CaseReplay>, AppError> {
    let Path(id) = id?;
    let store = state.cases()?;
    let plugins = state.plugins()?;
    let rules = state.rules()?;
    blocking(move || {
        let case = store.get(&id)?;
        staff.administers(case.district.as_deref().unwrap_or_default())?;
        let host = PluginHost::new(PluginHostConfig::default()).map_err(|e| AppError::Internal(e.to_string()))?;
        plugins.registry.sync(&host)?;
        let districts = crate::districts::Districts::default();
        districts.sync(&plugins.registry)?;
        let today = Today {
            runtime: state.runtime.clone(),
            rules,
            plugins: Some(host),
            districts,
            classifier: state.classifier.clone(),
        };
        let mut replayer = Replayer::new(&store, Some(&plugins.registry), today);
        replayer.case(&id).map(Json).map_err(|e| match e {
            ReplayError::Cases(e) => AppError::from(e),
            ReplayError::Load(why) => AppError::Internal(why),
        })
    })
    .await
}
