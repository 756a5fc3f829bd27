//! A case's files: `PUT /api/cases/{id}/attachments/{index}` takes the bytes of an attachment the form
//! declared (name, type, size — checked against the district schema's limits by the validator at
//! intake), from the holder of the case's tracking token; the type, the size and the bytes' signature
//! must all be what was declared. `GET` gives a file back to staff who may read the case, written to
//! the audit log like any read.

use super::api::{Api, Auth, Op};
use super::{AppState, Bearer, Remote, blocking};
use crate::AppError;
use crate::access::may_read;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minyi_auth::AuthError;
use minyi_cases::{Actor, StoredAttachment};
use minyi_model::{Attachment, CaseState};

/// The largest upload taken, whatever a schema allows (Beijing's allows 20 MiB a file).
pub(crate) const MAX_UPLOAD: usize = 32 << 20;

/// The attachment routes.
pub(super) fn routes() -> Api {
    let (id, index) =
        (("id", "the case number"), ("index", "the attachment's place in the form's `attachments`, from 0"));
    Api::new()
        .put(
            "/api/cases/{id}/attachments/{index}",
            Op::new("cases", "Uploads a file the validated form declared: its type, size and signature must match.")
                .auth(Auth::Tracking)
                .param(id.0, id.1)
                .param(index.0, index.1)
                .body_raw("*/*")
                .answers::<StoredAttachment>(201, "stored (the same bytes again change nothing)")
                .fails(&[
                    (401, "no token"),
                    (403, "not the case's tracking token"),
                    (404, "no such case"),
                    (409, "other bytes are already stored at this index"),
                    (413, "larger than the service takes"),
                    (422, "undeclared, or not the declared type, size or content (named)"),
                ]),
            upload,
        )
        .get(
            "/api/cases/{id}/attachments/{index}",
            Op::new("cases", "Downloads an uploaded file, for staff who may read the case (audited).")
                .auth(Auth::Staff)
                .param(id.0, id.1)
                .param(index.0, index.1)
                .answers_raw(200, "the file, as a download", "application/octet-stream")
                .fails(&[(401, "no token or an unknown one"), (403, "may not read this case"), (404, "no such file")]),
            download,
        )
        .wrap(|r| r.layer(DefaultBodyLimit::max(MAX_UPLOAD)))
}

fn invalid(field: &str, code: &'static str, message: String) -> AppError {
    AppError::Invalid { field: field.to_owned(), code, message }
}

/// The attachment the stored, validated form declared at `index`.
fn declared(case: &minyi_cases::StoredCase, index: u32) -> Result<Attachment, AppError> {
    if case.state == CaseState::Rejected {
        return Err(invalid(
            "case",
            "case.rejected",
            format!("case {} was rejected at intake: it takes no files", case.case_id),
        ));
    }
    let normalized = case.validation.as_ref().and_then(|v| v.get("normalized")).and_then(|n| n.get("attachments"));
    let list: Vec<Attachment> = normalized.and_then(|a| serde_json::from_value(a.clone()).ok()).unwrap_or_default();
    let count = list.len();
    list.into_iter().nth(index as usize).ok_or_else(|| {
        invalid(
            "index",
            "attachment.undeclared",
            format!("the form declared {count} attachment(s); there is none at index {index}"),
        )
    })
}

/// `PUT /api/cases/{id}/attachments/{index}` with `Authorization: Bearer <tracking token>`, the
/// declared `Content-Type` and the bytes: 201 with what is stored (name, type, size, SHA-256).
async fn upload(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    path: Result<Path<(String, u32)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let store = state.cases()?;
    let Path((id, index)) = path?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(format!("a file may have at most {MAX_UPLOAD} bytes"))
        } else {
            AppError::BadRequest { code: "body.invalid".into(), message: e.body_text() }
        }
    })?;
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let stored = blocking(move || {
        if !store.check_token(&id, &token)? {
            return Err(AuthError::Forbidden(format!("the token is not case {id}'s tracking token")).into());
        }
        let case = store.get(&id)?;
        let want = declared(&case, index)?;
        if mime != want.mime {
            return Err(invalid(
                "content-type",
                "attachment.type",
                format!("attachment {index} was declared {:?}, the upload says {mime:?}", want.mime),
            ));
        }
        if body.len() as u64 != want.bytes {
            return Err(invalid(
                "body",
                "attachment.size",
                format!("attachment {index} was declared {} bytes, {} arrived", want.bytes, body.len()),
            ));
        }
        if !minyi_validation::content::content_matches(&want.mime, &body) {
            return Err(invalid(
                "body",
                "attachment.content",
                format!("the bytes of attachment {index} are not a {} file", want.mime),
            ));
        }
        Ok(store.attach(&id, index, &want.name, &want.mime, &body)?)
    })
    .await?;
    tracing::info!(index = stored.index, bytes = stored.bytes, sha256 = stored.sha256, "attachment stored");
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// `GET /api/cases/{id}/attachments/{index}` with a staff token that may read the case: the file, as a
/// download (never rendered by the service's origin), the read written to the audit log.
async fn download(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    Remote(remote): Remote,
    path: Result<Path<(String, u32)>, PathRejection>,
) -> Result<Response, AppError> {
    let store = state.cases()?;
    let Path((id, index)) = path?;
    let (meta, data) = blocking(move || {
        let admin = state.admins.as_ref().ok_or(AuthError::Unauthenticated)?.authenticate(&token)?;
        may_read(&admin, &store, &id)?;
        let found =
            store.attachment(&id, index)?.ok_or_else(|| AppError::NotFound(format!("attachment {index} of {id}")))?;
        store.audit_read(&id, &Actor { id: &admin.id, role: admin.role.as_str(), remote: remote.as_deref() })?;
        Ok(found)
    })
    .await?;
    let mut headers = HeaderMap::new();
    let content_type =
        HeaderValue::from_str(&meta.mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    let name: String = meta
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{name}")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok((headers, data).into_response())
}
