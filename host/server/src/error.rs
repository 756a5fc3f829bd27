//! One error type for every HTTP handler, rendered as `{"code", "message"}` JSON with a fitting status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minyi_runtime::{CallError, RuntimeError};

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request was unusable (bad JSON, bad parameter): 400.
    #[error("{code}: {message}")]
    BadRequest {
        /// Stable code.
        code: String,
        /// What is wrong.
        message: String,
    },
    /// Nothing at this path: 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// The service is not set up for this request (e.g. no rule set loaded): 503.
    #[error("{message}")]
    Unavailable {
        /// Stable code (`rules.none`, `cases.none`).
        code: &'static str,
        /// What is missing and how to set it up.
        message: String,
    },
    /// A component failed (trap, fuel, memory): 500, with the typed reason.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A blocking task failed to complete: 500.
    #[error("internal error: {0}")]
    Internal(String),
    /// The case store failed (503: the case is not stored) or has no such case (404).
    #[error(transparent)]
    Case(#[from] minyi_cases::CaseError),
    /// A plugin registry operation was refused: 400, 401, 403, 404 or 409 by its kind.
    #[error(transparent)]
    Registry(#[from] minyi_registry::RegistryError),
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest { code: "query.invalid".into(), message: e.body_text() }
    }
}

/// Reads a JSON request body into `T`; a 400 `json.invalid` naming the field path when it does not fit.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, AppError> {
    minyi_model::json::from_str(body).map_err(|message| AppError::BadRequest { code: "json.invalid".into(), message })
}

impl From<CallError> for AppError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Runtime(r) => AppError::Runtime(r),
            CallError::Input { code, message } => AppError::BadRequest { code, message },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AppError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code.clone()),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found".to_owned()),
            AppError::Unavailable { code, .. } => (StatusCode::SERVICE_UNAVAILABLE, (*code).to_owned()),
            AppError::Case(e) => {
                use minyi_cases::CaseError as C;
                let status = match e {
                    C::Db(_) => StatusCode::SERVICE_UNAVAILABLE,
                    C::NotFound(_) => StatusCode::NOT_FOUND,
                    C::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, e.code().to_owned())
            }
            AppError::Runtime(_) => (StatusCode::INTERNAL_SERVER_ERROR, "component.failed".to_owned()),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal".to_owned()),
            AppError::Registry(e) => {
                use minyi_registry::RegistryError as R;
                let status = match e {
                    R::Unauthenticated => StatusCode::UNAUTHORIZED,
                    R::Forbidden(_) => StatusCode::FORBIDDEN,
                    R::NotFound(_) => StatusCode::NOT_FOUND,
                    R::Conflict(_) => StatusCode::CONFLICT,
                    R::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    R::Manifest(_) | R::Key(_) | R::Component(_) => StatusCode::BAD_REQUEST,
                };
                (status, e.code().to_owned())
            }
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let message = match &self {
            AppError::BadRequest { message, .. } => message.clone(),
            other => other.to_string(),
        };
        (status, Json(serde_json::json!({ "code": code, "message": message }))).into_response()
    }
}
