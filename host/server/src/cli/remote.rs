//! `--server URL`: the admin commands (`minyi token|case|plugin …`) acting through a running service's
//! HTTP API with the caller's token — the same checks as any API client, no database credentials. A
//! refusal is the API's `{code, message}`, printed as `error: code: message` with exit code 2.

use anyhow::Context as _;
use serde_json::Value;
use std::process::ExitCode;

/// A service and the token that acts on it.
pub(super) struct Remote {
    base: String,
    token: String,
}

/// What the service answered: the body when it succeeded, else its error.
pub(super) enum Answer {
    /// 2xx: the body.
    Ok(String),
    /// Refused: the status, the stable code and the message.
    Refused(u16, String, String),
}

impl Remote {
    /// `base` is the service's URL (`https://minyi.example.gov.cn`); `token` is required.
    pub(super) fn new(base: &str, token: Option<&str>) -> anyhow::Result<Self> {
        let base = base.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("--server {base:?} is not an http:// or https:// URL");
        }
        let token = token.context("give --token (or MINYI_TOKEN): your token for the service")?.trim().to_owned();
        Ok(Remote { base, token })
    }

    /// `GET path` (path and query, e.g. `/api/cases?limit=10`).
    pub(super) fn get(&self, path: &str) -> anyhow::Result<Answer> {
        let request = ureq::get(&format!("{}{path}", self.base)).config().http_status_as_error(false).build();
        answer(&self.base, request.header("Authorization", &format!("Bearer {}", self.token)).call())
    }

    /// `POST path` with a JSON body.
    pub(super) fn post(&self, path: &str, body: &Value) -> anyhow::Result<Answer> {
        let request = ureq::post(&format!("{}{path}", self.base)).config().http_status_as_error(false).build();
        let request = request
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Content-Type", "application/json");
        answer(&self.base, request.send(body.to_string()))
    }
}

impl Remote {
    /// `POST path` with a body of `media`: a rule set or a schema (TOML, `text/plain`), a district's model
    /// file (`application/octet-stream`).
    pub(super) fn post_bytes(&self, path: &str, media: &str, body: &[u8]) -> anyhow::Result<Answer> {
        let request = ureq::post(&format!("{}{path}", self.base)).config().http_status_as_error(false).build();
        let request = request.header("Authorization", &format!("Bearer {}", self.token)).header("Content-Type", media);
        answer(&self.base, request.send(body))
    }

    /// `POST path` with a plugin component as the body and its signed manifest in `Minyi-Manifest`.
    pub(super) fn post_component(&self, path: &str, manifest: &Value, component: &[u8]) -> anyhow::Result<Answer> {
        use base64::Engine as _;
        let manifest = base64::engine::general_purpose::STANDARD.encode(manifest.to_string());
        let request = ureq::post(&format!("{}{path}", self.base)).config().http_status_as_error(false).build();
        let request = request
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Content-Type", "application/wasm")
            .header(crate::http::MANIFEST_HEADER, &manifest);
        answer(&self.base, request.send(component))
    }
}

fn answer(base: &str, res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> anyhow::Result<Answer> {
    let mut res = res.with_context(|| format!("cannot reach {base}"))?;
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().with_context(|| format!("reading the answer of {base}"))?;
    if (200..300).contains(&status) {
        return Ok(Answer::Ok(text));
    }
    let error: Value = serde_json::from_str(&text).unwrap_or_default();
    let code = error["code"].as_str().unwrap_or("http.error").to_owned();
    let message = error["message"].as_str().map_or_else(|| format!("HTTP {status}"), str::to_owned);
    Ok(Answer::Refused(status, code, message))
}

/// Prints an answer: JSON pretty, or each element of `lines` (a key holding a list, or `""` for a
/// top-level list) as one JSON line; a refusal on stderr with exit code 2.
pub(super) fn print(answer: Answer, lines: Option<&str>) -> anyhow::Result<ExitCode> {
    let text = match answer {
        Answer::Ok(text) => text,
        Answer::Refused(status, code, message) => {
            eprintln!("error: {code}: {message} (HTTP {status})");
            return Ok(ExitCode::from(2));
        }
    };
    let value: Value = serde_json::from_str(&text).context("the service's answer is not JSON")?;
    let list = match lines {
        Some("") => value.as_array(),
        Some(key) => value.get(key).and_then(Value::as_array),
        None => None,
    };
    match list {
        Some(items) => {
            for item in items {
                println!("{}", serde_json::to_string(item)?);
            }
        }
        None => println!("{}", serde_json::to_string_pretty(&value)?),
    }
    Ok(ExitCode::SUCCESS)
}

/// Percent-encodes a query value or path segment.
pub(super) fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
