//! The route table: every endpoint is added through [`Api`], which builds the axum router and, from the
//! same declarations, the service's OpenAPI 3.1 document (`GET /api/openapi.json`) — so a route cannot
//! be served without being described. Bodies, answers and query parameters are described by the Rust
//! types the handlers read and write (schemars), never by hand.

use super::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::routing::MethodRouter;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

/// Describes a Rust type: a `$ref` into the document's `components/schemas`.
type Describe = fn(&mut SchemaGenerator) -> Schema;

/// What a request or an answer carries.
#[derive(Clone, Copy)]
pub(crate) enum Content {
    /// JSON of a Rust type.
    Json(Describe),
    /// Anything else, by media type (`text/html`, `application/wasm`, `*/*` for an upload).
    Raw(&'static str),
    /// Form-encoded fields of a Rust type, or the same as JSON (Open311's `POST requests.json`).
    FormOrJson(Describe),
    /// Bytes of a media type, or JSON of a Rust type (a plugin upload).
    RawOrJson(&'static str, Describe),
}

/// Who may call an endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Anyone.
    Public,
    /// A staff or client token (`Authorization: Bearer`); the role decides what it may do.
    Staff,
    /// The case's tracking token, or a staff token that may read or act on the case.
    Tracking,
}

/// One endpoint's description.
#[derive(Clone)]
pub(crate) struct Op {
    tag: &'static str,
    summary: &'static str,
    auth: Auth,
    params: Vec<(&'static str, &'static str)>,
    query: Option<Describe>,
    body: Option<Content>,
    answers: Vec<(u16, &'static str, Option<Content>)>,
}

impl Op {
    /// An endpoint of the `tag` group, anyone may call, with one line saying what it does.
    pub(crate) fn new(tag: &'static str, summary: &'static str) -> Self {
        Op { tag, summary, auth: Auth::Public, params: Vec::new(), query: None, body: None, answers: Vec::new() }
    }

    /// Who may call it.
    pub(crate) fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// What the path parameter `{name}` is.
    pub(crate) fn param(mut self, name: &'static str, description: &'static str) -> Self {
        self.params.push((name, description));
        self
    }

    /// The query string: the fields of `Q`, the type the handler reads it into.
    pub(crate) fn query<Q: JsonSchema>(mut self) -> Self {
        self.query = Some(|g| g.root_schema_for::<Q>());
        self
    }

    /// A JSON body of type `T`.
    pub(crate) fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(Content::Json(|g| g.subschema_for::<T>()));
        self
    }

    /// A body of another media type.
    pub(crate) fn body_raw(mut self, media: &'static str) -> Self {
        self.body = Some(Content::Raw(media));
        self
    }

    /// Bytes of `media`, or `T` as JSON.
    pub(crate) fn body_raw_or<T: JsonSchema>(mut self, media: &'static str) -> Self {
        self.body = Some(Content::RawOrJson(media, |g| g.subschema_for::<T>()));
        self
    }

    /// Form-encoded fields of `T`, or `T` as JSON.
    pub(crate) fn form<T: JsonSchema>(mut self) -> Self {
        self.body = Some(Content::FormOrJson(|g| g.subschema_for::<T>()));
        self
    }

    /// Answers `status` with JSON of type `T`.
    pub(crate) fn answers<T: JsonSchema>(mut self, status: u16, what: &'static str) -> Self {
        self.answers.push((status, what, Some(Content::Json(|g| g.subschema_for::<T>()))));
        self
    }

    /// Answers `status` with a body of another media type.
    pub(crate) fn answers_raw(mut self, status: u16, what: &'static str, media: &'static str) -> Self {
        self.answers.push((status, what, Some(Content::Raw(media))));
        self
    }

    /// Fails with these statuses, each answered `{code, message}` (`AppError`).
    pub(crate) fn fails(mut self, statuses: &[(u16, &'static str)]) -> Self {
        for &(status, what) in statuses {
            self.answers.push((status, what, Some(Content::Json(|g| g.subschema_for::<ErrorBody>()))));
        }
        self
    }

    /// Fails with these statuses, each answered as GeoReport's `[{code, description}]`.
    pub(crate) fn fails_geo(mut self, statuses: &[(u16, &'static str)]) -> Self {
        for &(status, what) in statuses {
            self.answers.push((
                status,
                what,
                Some(Content::Json(|g| g.subschema_for::<Vec<minyi_model::georeport::GeoError>>())),
            ));
        }
        self
    }
}

/// Every failure of the API (not GeoReport's): a stable code and a message naming the field and the
/// problem. Server-side failures never carry internal text.
#[derive(JsonSchema)]
#[allow(dead_code)] // describes what `AppError` renders
pub(crate) struct ErrorBody {
    /// Stable code, e.g. `json.invalid`, `auth.forbidden`, `case.not_found`, `cases.none`.
    code: String,
    /// What is wrong, naming the field.
    message: String,
}

/// An endpoint as declared: its method, path and description.
#[derive(Clone)]
pub(crate) struct Route {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    op: Op,
}

/// Routes and their descriptions, built together.
pub(crate) struct Api {
    router: Router<AppState>,
    routes: Vec<Route>,
}

impl Api {
    /// No routes yet.
    pub(crate) fn new() -> Self {
        Api { router: Router::new(), routes: Vec::new() }
    }

    fn add(mut self, method: &'static str, path: &'static str, op: Op, handler: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, handler);
        self.routes.push(Route { method, path, op });
        self
    }

    /// `GET path`, described by `op`.
    pub(crate) fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, op: Op, handler: H) -> Self {
        self.add("get", path, op, axum::routing::get(handler))
    }

    /// `POST path`, described by `op`.
    pub(crate) fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, op: Op, handler: H) -> Self {
        self.add("post", path, op, axum::routing::post(handler))
    }

    /// `PUT path`, described by `op`.
    pub(crate) fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, op: Op, handler: H) -> Self {
        self.add("put", path, op, axum::routing::put(handler))
    }

    /// Both tables together.
    pub(crate) fn merge(mut self, other: Api) -> Self {
        self.router = self.router.merge(other.router);
        self.routes.extend(other.routes);
        self
    }

    /// Wraps the routes added so far (a body limit for uploads).
    pub(crate) fn wrap(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = f(self.router);
        self
    }

    /// The router and the declared routes.
    pub(crate) fn into_parts(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.routes)
    }
}

/// The OpenAPI 3.1 document of these routes (its schemas are JSON Schema 2020-12, OpenAPI 3.1's own
/// dialect). Request bodies are described as the server reads them, answers as it writes them: where
/// the two differ for one type, the request's is named `…Input`.
pub(crate) fn document(routes: &[Route]) -> Value {
    let settings = |s: SchemaSettings| s.with(|s| s.definitions_path = "/components/schemas".into());
    let mut reads = settings(SchemaSettings::draft2020_12().for_deserialize()).into_generator();
    let mut writes = settings(SchemaSettings::draft2020_12().for_serialize()).into_generator();
    let mut paths = Map::new();
    for route in routes {
        let op = &route.op;
        let mut parameters: Vec<Value> = path_params(route.path)
            .map(|name| {
                let description = op.params.iter().find(|(n, _)| *n == name).map_or("", |(_, d)| d);
                json!({"name": name, "in": "path", "required": true, "description": description,
                       "schema": {"type": "string"}})
            })
            .collect();
        if let Some(query) = op.query {
            parameters.extend(query_params(&query(&mut reads)));
        }
        let mut operation = Map::new();
        operation.insert("tags".into(), json!([op.tag]));
        operation.insert("summary".into(), json!(op.summary));
        operation.insert("operationId".into(), json!(operation_id(route.method, route.path)));
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(body) = op.body {
            operation.insert("requestBody".into(), json!({"required": true, "content": content(body, &mut reads)}));
        }
        let mut responses = Map::new();
        for (status, what, body) in &op.answers {
            let mut answer = json!({"description": what});
            if let Some(body) = body {
                answer["content"] = content(*body, &mut writes);
            }
            responses.insert(status.to_string(), answer);
        }
        operation.insert("responses".into(), Value::Object(responses));
        match op.auth {
            Auth::Public => {}
            Auth::Staff => {
                operation.insert("security".into(), json!([{"staff": []}]));
            }
            Auth::Tracking => {
                operation.insert("security".into(), json!([{"tracking": []}, {"staff": []}]));
            }
        }
        let item = paths.entry(route.path).or_insert_with(|| json!({}));
        item[route.method] = Value::Object(operation);
    }
    let mut schemas = writes.take_definitions(true);
    let mut renamed = Map::new();
    for (name, schema) in reads.take_definitions(true) {
        match schemas.get(&name) {
            Some(written) if *written != schema => {
                renamed.insert(name.clone(), format!("{name}Input").into());
                schemas.insert(format!("{name}Input"), schema);
            }
            _ => {
                schemas.insert(name, schema);
            }
        }
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Minyi",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "12345 citizen demands: intake, validation, routing, casework, callbacks and the three rates.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": tags(routes),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "staff": {"type": "http", "scheme": "bearer",
                          "description": "A staff or client token (`minyi token create`); its role and district decide what it may do."},
                "tracking": {"type": "http", "scheme": "bearer",
                             "description": "The case's tracking token, given to the citizen at intake."},
            },
        },
    });
    if !renamed.is_empty() {
        rename_request_refs(&mut doc, &renamed);
    }
    doc
}

/// Request bodies and parameters point at the `…Input` schema where the read shape differs. Only the
/// request side is walked: answers keep the written names.
fn rename_request_refs(doc: &mut Value, renamed: &Map<String, Value>) {
    fn walk(v: &mut Value, renamed: &Map<String, Value>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get_mut("$ref") {
                    let name = r.trim_start_matches("#/components/schemas/").to_owned();
                    if let Some(Value::String(new)) = renamed.get(&name) {
                        *r = format!("#/components/schemas/{new}");
                    }
                }
                map.values_mut().for_each(|v| walk(v, renamed));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, renamed)),
            _ => {}
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for op in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
            if let Some(body) = op.get_mut("requestBody") {
                walk(body, renamed);
            }
            if let Some(params) = op.get_mut("parameters") {
                walk(params, renamed);
            }
        }
    }
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    for new in renamed.values().filter_map(Value::as_str) {
        if let Some(s) = schemas.get_mut(new) {
            walk(s, renamed);
        }
    }
}

/// The `{name}` segments of a path.
fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// `get` `/api/cases/{id}/events` → `get_api_cases_id_events`.
fn operation_id(method: &str, path: &str) -> String {
    let words = path.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty());
    std::iter::once(method).chain(words).collect::<Vec<_>>().join("_")
}

/// One query parameter per property of the query type's schema.
fn query_params(schema: &Schema) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property.as_object_mut().and_then(|p| p.remove("description")).unwrap_or(json!(""));
            let optional = !required.contains(&name.as_str());
            if optional {
                not_null(&mut property);
            }
            json!({"name": name, "in": "query", "required": required.contains(&name.as_str()),
                   "description": description, "schema": property})
        })
        .collect()
}

/// An optional parameter is left out, never `null`: `["string", "null"]` → `"string"`, and `anyOf`
/// a schema or `null` → the schema.
fn not_null(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(any)) = map.get("anyOf") {
        let kept: Vec<Value> = any.iter().filter(|s| s.get("type").is_none_or(|t| t != "null")).cloned().collect();
        if let [only] = kept.as_slice() {
            *schema = only.clone();
        }
    }
}

fn content(body: Content, generator: &mut SchemaGenerator) -> Value {
    match body {
        Content::Json(describe) => json!({"application/json": {"schema": describe(generator)}}),
        Content::Raw(media) => json!({media: {"schema": {"type": "string", "contentMediaType": media}}}),
        Content::FormOrJson(describe) => {
            let schema = describe(generator);
            json!({"application/x-www-form-urlencoded": {"schema": schema}, "application/json": {"schema": schema}})
        }
        Content::RawOrJson(media, describe) => json!({
            media: {"schema": {"type": "string", "contentMediaType": media}},
            "application/json": {"schema": describe(generator)},
        }),
    }
}

/// The tags in the order their first route was added.
fn tags(routes: &[Route]) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    for r in routes {
        if !seen.contains(&r.op.tag) {
            seen.push(r.op.tag);
        }
    }
    seen.into_iter().map(|t| json!({"name": t})).collect()
}
