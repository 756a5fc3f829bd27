//! What the embeddable citizen widget needs from its host: `GET /api/form?district=` (the district's case
//! form as `FormSpec`), the pages `/embed` (the widget alone, for an iframe) and `/track` (a case's
//! progress and its callback survey), the staff console `/console`, and the CORS allow-list of `minyi serve --allow-origin`.

use super::AppState;
use super::api::{Api, Op};
use crate::AppError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::response::Response;
use minyi_model::{FormSpec, divisions};
use schemars::JsonSchema;
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The widget's routes; the pages are files of the built web app.
pub(super) fn routes() -> Api {
    Api::new()
        .get(
            "/api/form",
            Op::new(
                "widget",
                "The district's case form: fields, requirements, categories, attributes, attachment limits.",
            )
            .query::<FormQuery>()
            .answers::<FormSpec>(200, "the form")
            .fails(&[(400, "no district given"), (422, "not one of Beijing's district codes")]),
            form,
        )
        .get(
            "/embed",
            Op::new(
                "widget",
                "The complaint widget alone, for an iframe (`?district=&lang=`); framed only by allowed origins.",
            )
            .answers_raw(200, "the page", "text/html"),
            embed,
        )
        .get(
            "/track",
            Op::new("widget", "A case's progress and its callback survey, for the citizen (`#case=&token=`).")
                .answers_raw(200, "the page", "text/html"),
            track,
        )
        .get(
            "/console",
            Op::new("console", "The staff console: sign-in with a staff token, queues, cases, the dashboard.")
                .answers_raw(200, "the page", "text/html"),
            console,
        )
}

/// What the console page may load and run: its own scripts, styles and WebAssembly, calls to this
/// host alone (and the `blob:` URLs of its CSV exports), no inline script, no plugin, no form posted
/// elsewhere, never framed. A staff token sits in the tab's session storage: a script injected into
/// the page would be the way to steal it, so none can run.
const CONSOLE_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `/console`: the staff console, never framed (a framing page could trick a signed-in admin into
/// clicks), its token kept in the tab's session storage, never in a URL, under [`CONSOLE_POLICY`].
async fn console(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let mut response = super::assets::page(state, "console/index.html".into(), headers).await?;
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONSOLE_POLICY));
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

/// `/embed`: the widget alone, for an iframe — framed only by the host itself and the allow-list's
/// origins (`frame-ancestors`), so another site cannot dress the citizen form up as its own.
async fn embed(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let ancestors = std::iter::once("'self'").chain(state.allow_origins.iter().map(String::as_str)).collect::<Vec<_>>();
    let policy = format!("frame-ancestors {}", ancestors.join(" "));
    let mut response = super::assets::page(state, "embed.html".into(), headers).await?;
    if let Ok(v) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(response)
}

/// `/track`: a case's progress and its callback survey, never framed by another site (the page holds
/// the tracking token).
async fn track(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let mut response = super::assets::page(state, "track.html".into(), headers).await?;
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'self'"));
    Ok(response)
}

#[derive(Deserialize, JsonSchema)]
struct FormQuery {
    /// The district code, e.g. `110108`.
    district: String,
}

/// The district's case form: its own schema where it has one, else Beijing's.
async fn form(
    State(state): State<AppState>,
    query: Result<Query<FormQuery>, QueryRejection>,
) -> Result<Json<FormSpec>, AppError> {
    let Query(FormQuery { district }) = query?;
    if divisions::district(&district).is_none_or(|d| d.code != district) {
        return Err(AppError::Invalid {
            field: "district".into(),
            code: "district.unknown",
            message: format!("{district:?} is not the code of one of Beijing's 16 districts"),
        });
    }
    // The district's deployed schema when it has one: the widget renders its attributes.
    Ok(Json(crate::districts::form_spec(state.plugins.as_deref(), &district)))
}

/// Why an `--allow-origin` value is not an origin.
#[derive(Debug, thiserror::Error)]
#[error("--allow-origin {0:?} is not an origin: write scheme://host[:port], e.g. https://www.bjchy.gov.cn")]
pub(crate) struct BadOrigin(String);

/// Checks an `--allow-origin` value: `http(s)://host[:port]`, no path, query or trailing slash.
pub(crate) fn origin(value: &str) -> Result<String, BadOrigin> {
    let bad = || BadOrigin(value.to_owned());
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")).ok_or_else(bad)?;
    let ok = !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        && HeaderValue::from_str(value).is_ok();
    if ok { Ok(value.to_owned()) } else { Err(bad()) }
}

/// The CORS layer of the allow-list: the origins listed may call the API and load the widget's files
/// (module scripts and `fetch` need it); any other origin gets no CORS headers, so its browser refuses.
pub(super) fn cors(allowed: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([header::LOCATION, HeaderName::from_static("x-minyi-sha256")])
        .max_age(std::time::Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for ok in ["https://www.bjchy.gov.cn", "http://127.0.0.1:8080", "http://[::1]:3000"] {
            assert_eq!(origin(ok).ok().as_deref(), Some(ok));
        }
        for bad in
            ["www.bjchy.gov.cn", "https://a.cn/", "https://a.cn/path", "ftp://a.cn", "https://", "*", "https://a.cn?x"]
        {
            assert!(origin(bad).is_err(), "{bad} refused");
        }
    }
}
