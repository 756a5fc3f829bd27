//! The web app's files and the component bytes as a browser gets them: compressed once (brotli at its
//! best quality, gzip) and cached by their SHA-256, which is also their ETag — a browser revalidating a
//! copy it holds gets 304 and no body until the content changes.

use super::AppState;
use crate::AppError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// One content in each encoding a browser may take.
#[derive(Debug)]
pub(crate) struct Encoded {
    sha256: String,
    identity: Bytes,
    br: Bytes,
    gzip: Bytes,
}

impl Encoded {
    fn new(identity: Bytes, sha256: String) -> Encoded {
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
            // Writing into a Vec cannot fail.
            let _ = w.write_all(&identity);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = gz.write_all(&identity);
        let gzip = gz.finish().unwrap_or_default();
        Encoded { sha256, identity, br: br.into(), gzip: gzip.into() }
    }
}

/// Contents by SHA-256: each is compressed once, whatever path or host call serves it.
fn by_hash() -> &'static Mutex<HashMap<String, Arc<Encoded>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Encoded>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The encodings of `bytes`, whose SHA-256 is `sha256` when the caller knows it.
pub(crate) fn encoded(bytes: &[u8], sha256: Option<&str>) -> Arc<Encoded> {
    let sha = sha256.map_or_else(|| sha256_hex(bytes), str::to_owned);
    if let Some(e) = by_hash().lock().ok().and_then(|c| c.get(&sha).cloned()) {
        return e;
    }
    let e = Arc::new(Encoded::new(Bytes::copy_from_slice(bytes), sha.clone()));
    if let Ok(mut cache) = by_hash().lock() {
        cache.insert(sha, Arc::clone(&e));
    }
    e
}

/// Does `accept` (an `Accept-Encoding` value) take `coding` (no `q=0`)?
fn accepts(accept: &str, coding: &str) -> bool {
    accept.split(',').any(|part| {
        let mut it = part.split(';').map(str::trim);
        let name = it.next().unwrap_or_default();
        let refused = it.any(|p| p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0)));
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

/// The answer for one content: 304 when the browser holds it, else the smallest encoding it takes.
pub(crate) fn respond(e: &Encoded, content_type: &'static str, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", e.sha256);
    let held = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if held {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let accept = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (body, coding) = if accepts(accept, "br") && e.br.len() < e.identity.len() {
        (e.br.clone(), Some("br"))
    } else if accepts(accept, "gzip") && e.gzip.len() < e.identity.len() {
        (e.gzip.clone(), Some("gzip"))
    } else {
        (e.identity.clone(), None)
    };
    if let Some(coding) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    (headers, body).into_response()
}

/// The content type of a file of the web app, by extension; other files (a database someone left
/// in the folder, say) are never served.
fn content_type(path: &Path) -> Option<&'static str> {
    Some(match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

/// A request path as a file inside the web app's folder: `/` is `index.html`; a segment that is empty,
/// `.`, `..`, hidden or holds a backslash is refused, so nothing outside the folder is ever read.
fn file_of(web_dir: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.strip_prefix('/').unwrap_or(path);
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let mut file = web_dir.to_path_buf();
    for segment in rel.split('/') {
        if segment.is_empty() || segment.starts_with('.') || segment.contains('\\') || segment.contains('\0') {
            return None;
        }
        file.push(segment);
    }
    Some(file)
}

/// Per file, what was read of it last: its modification time and length, and its content's SHA-256.
type Seen = Mutex<HashMap<PathBuf, (SystemTime, u64, String)>>;

fn seen() -> &'static Seen {
    static SEEN: OnceLock<Seen> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// One file of the web app, encoded; read again only when its time or length changed.
fn site_file(file: &Path) -> Option<Arc<Encoded>> {
    let meta = std::fs::metadata(file).ok().filter(|m| m.is_file())?;
    let stamp = (meta.modified().ok()?, meta.len());
    let known = seen().lock().ok().and_then(|s| s.get(file).cloned());
    if let Some((modified, len, sha)) = known
        && (modified, len) == stamp
        && let Some(e) = by_hash().lock().ok().and_then(|c| c.get(&sha).cloned())
    {
        return Some(e);
    }
    let bytes = std::fs::read(file).ok()?;
    let e = encoded(&bytes, None);
    if let Ok(mut s) = seen().lock() {
        s.insert(file.to_owned(), (stamp.0, stamp.1, e.sha256.clone()));
    }
    Some(e)
}

/// Compresses every file of the web app and every component ahead of the first visitor (brotli at its
/// best quality takes about a second for the app's wasm); `minyi serve` runs it on a thread of its own.
pub fn warm(web_dir: &Path, runtime: &minyi_runtime::Runtime) {
    fn walk(dir: &Path, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if path.is_dir() && depth < 4 {
                walk(&path, depth + 1);
            } else if content_type(&path).is_some() {
                let _ = site_file(&path);
            }
        }
    }
    let started = std::time::Instant::now();
    for c in runtime.components() {
        let _ = encoded(&c.bytes, Some(&c.sha256));
    }
    walk(web_dir, 0);
    tracing::info!(elapsed = ?started.elapsed(), "web app and components compressed");
}

/// A file of the web app by its path (`GET /widget.js`), or 404.
pub(super) async fn site(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Result<Response, AppError> {
    page(state, uri.path().to_owned(), headers).await
}

/// A file of the web app by its name inside the folder (the `/embed` and `/track` pages).
pub(super) async fn page(state: AppState, path: String, headers: HeaderMap) -> Result<Response, AppError> {
    let file = file_of(&state.web_dir, &path).ok_or_else(|| AppError::NotFound(path.clone()))?;
    let kind = content_type(&file).ok_or_else(|| AppError::NotFound(path.clone()))?;
    let found = super::blocking(move || Ok(site_file(&file).map(|e| (e, kind)))).await?;
    let (e, kind) = found.ok_or(AppError::NotFound(path))?;
    Ok(respond(&e, kind, &headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_folder() {
        let dir = Path::new("/srv/site");
        assert_eq!(file_of(dir, "/"), Some(dir.join("index.html")));
        assert_eq!(file_of(dir, "/pkg/minyi_web.js"), Some(dir.join("pkg/minyi_web.js")));
        for bad in ["/../etc/passwd", "/pkg/../../x", "/.git/config", "//etc/passwd", "/a\\..\\b", "/pkg/./x"] {
            assert_eq!(file_of(dir, bad), None, "{bad}");
        }
    }

    #[test]
    fn the_coding_is_one_the_browser_takes() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip;q=0.8", "gzip"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("identity", "gzip"));
        let e = encoded("北京市朝阳区望京街道".repeat(200).as_bytes(), None);
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let r = respond(&e, "text/plain", &h);
        assert_eq!(r.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()), Some("gzip"));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&format!("W/\"{}\"", e.sha256)).expect("header"));
        assert_eq!(respond(&e, "text/plain", &h).status(), StatusCode::NOT_MODIFIED);
    }
}
