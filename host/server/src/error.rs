//! One error type for every HTTP handler, rendered as `{"code", "message"}` JSON with a fitting status.
//! Every rejection — of the body, the path, the query, the JSON — comes through here, so a client never
//! gets plain text; server-side failures are logged in full and answered without internals.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection, StringRejection};
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
    /// A field of a well-formed request is wrong (a blank reason, a deadline in the past, a field the
    /// server fills): 422, naming the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault (`reason`, `deadline`, `co_handlers[2]`).
        field: String,
        /// Stable code.
        code: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The body is larger than the service takes: 413.
    #[error("the body is larger than the service takes: {0}")]
    TooLarge(String),
    /// The body is of a type the endpoint does not take: 415.
    #[error("unsupported body: {0}")]
    Unsupported(String),
    /// This client address made too many anonymous calls: 429, with `Retry-After`.
    #[error("too many requests from this address; try again in {retry_after} s")]
    RateLimited {
        /// Seconds until the next call is taken.
        retry_after: u64,
    },
    /// The request took longer than the service allows: 408.
    #[error("the request took longer than {0} s; if it stored something, look it up before sending it again")]
    Timeout(u64),
    /// Nothing at this path: 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// The service runs without this feature (no rule set, no case store, no plugin registry): 503.
    #[error("this server runs without {feature}: {how}")]
    Off {
        /// Which (`rules`, `cases`, `plugins`): the code is `<feature>.none`.
        feature: &'static str,
        /// How to start it with the feature.
        how: &'static str,
    },
    /// A component failed (trap, fuel, memory): 500, with the typed reason in the log only.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A blocking task failed to complete: 500.
    #[error("internal error: {0}")]
    Internal(String),
    /// No token, an unknown one, or one whose admin may not act here: 401 or 403.
    #[error(transparent)]
    Auth(#[from] minyi_auth::AuthError),
    /// The case store failed (503: the case is not stored), has no such case (404), or the event is not
    /// allowed in the case's state (409).
    #[error(transparent)]
    Case(#[from] minyi_cases::CaseError),
    /// A plugin registry operation was refused: 400, 401, 403, 404 or 409 by its kind.
    #[error(transparent)]
    Registry(#[from] minyi_registry::RegistryError),
}

impl From<QueryRejection> for AppError {
    fn from(e: QueryRejection) -> Self {
        AppError::BadRequest { code: "query.invalid".into(), message: e.body_text() }
    }
}

impl From<PathRejection> for AppError {
    fn from(e: PathRejection) -> Self {
        AppError::BadRequest { code: "path.invalid".into(), message: e.body_text() }
    }
}

impl From<StringRejection> for AppError {
    fn from(e: StringRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::TooLarge("see `minyi serve --body-limit`".into());
        }
        AppError::BadRequest { code: "body.invalid".into(), message: e.body_text() }
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

fn auth_status(e: &minyi_auth::AuthError) -> StatusCode {
    use minyi_auth::AuthError as A;
    match e {
        A::Unauthenticated => StatusCode::UNAUTHORIZED,
        A::Forbidden(_) => StatusCode::FORBIDDEN,
        A::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        A::NotFound(_) => StatusCode::NOT_FOUND,
        A::Db(_) | A::Randomness(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl AppError {
    /// The status and stable code this error answers with.
    fn status_and_code(&self) -> (StatusCode, String) {
        match self {
            AppError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code.clone()),
            AppError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, (*code).to_owned()),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body.too_large".to_owned()),
            AppError::Unsupported(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "body.unsupported_type".to_owned()),
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate.limited".to_owned()),
            AppError::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "request.timeout".to_owned()),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found".to_owned()),
            AppError::Off { feature, .. } => (StatusCode::SERVICE_UNAVAILABLE, format!("{feature}.none")),
            AppError::Auth(e) => (auth_status(e), e.code().to_owned()),
            AppError::Case(e) => {
                use minyi_cases::CaseError as C;
                let status = match e {
                    C::Db(_) => StatusCode::SERVICE_UNAVAILABLE,
                    C::NotFound(_) => StatusCode::NOT_FOUND,
                    C::Illegal { .. } | C::AttachmentExists { .. } => StatusCode::CONFLICT,
                    C::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, e.code().to_owned())
            }
            AppError::Runtime(_) => (StatusCode::INTERNAL_SERVER_ERROR, "component.failed".to_owned()),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal".to_owned()),
            AppError::Registry(e) => {
                use minyi_registry::RegistryError as R;
                let status = match e {
                    R::Auth(a) => auth_status(a),
                    R::NotFound(_) => StatusCode::NOT_FOUND,
                    R::Conflict(_) => StatusCode::CONFLICT,
                    R::Db(_) | R::Tampered(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    R::Manifest(_) | R::Key(_) | R::Component(_) | R::Data(_) => StatusCode::BAD_REQUEST,
                    R::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
                };
                (status, e.code().to_owned())
            }
        }
    }
}

impl AppError {
    /// What a client is told: the status, the stable code and a message without internals (a server
    /// failure is logged in full here and answered in general words).
    pub(crate) fn public(&self) -> (StatusCode, String, String) {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            // The whole error (SQL, a trap) goes to the log; the client gets what it can act on.
            tracing::error!(error = %self, code, "request failed");
            match self {
                AppError::Off { .. } => self.to_string(),
                AppError::Case(_) | AppError::Auth(_) => {
                    "the service could not reach its database; nothing was changed, try again".to_owned()
                }
                _ => "the service failed to answer; the failure is logged".to_owned(),
            }
        } else {
            match self {
                AppError::BadRequest { message, .. } => message.clone(),
                other => other.to_string(),
            }
        };
        (status, code, message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.public();
        let mut body = serde_json::json!({ "code": code, "message": message });
        if let AppError::Invalid { field, .. } = &self {
            body["field"] = serde_json::json!(field);
        }
        (status, Json(body)).into_response()
    }
}
