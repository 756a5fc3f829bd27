//! Open311 GeoReport v2 through the HTTP service, with requests shaped like the spec's examples
//! (form-encoded, `attribute[code]`, `api_key`), on the same components and SQLite store as the case
//! API: services from the category tree and the district schema; a post goes through intake (stored
//! first, rejected with each parameter named); anyone reads where a request stands and nothing
//! personal; keys that are not a client's, or not for that district, are refused.

use super::service;
use axum::http::StatusCode;
use minyi_auth::{NewToken, Role};
use minyi_server::AppState;
use serde_json::{Value, json};

/// A request with a body of `content_type`: the status, the `Location` header and the body as JSON.
async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    content_type: &str,
    body: &str,
) -> (StatusCode, Option<String>, Value) {
    use tower::ServiceExt as _;
    let req = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .body(axum::body::Body::from(body.to_owned()))
        .expect("request");
    let res = minyi_server::app(state.clone()).oneshot(req).await.expect("infallible");
    let status = res.status();
    let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    let value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, location, value)
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let (status, _, v) = call(state, "GET", uri, "text/plain", "").await;
    (status, v)
}

const FORM: &str = "application/x-www-form-urlencoded";

/// Every error of a GeoReport answer: `[{code, description}]`, each with the status as its code.
fn errors(status: StatusCode, v: &Value) -> Vec<String> {
    let list = v.as_array().unwrap_or_else(|| panic!("errors are a list: {v}"));
    assert!(!list.is_empty(), "{v}");
    list.iter()
        .map(|e| {
            assert_eq!(e["code"], json!(status.as_u16()), "{v}");
            e["description"].as_str().expect("a description").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn services_are_the_category_leaves_with_the_district_schema_s_attributes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, ..) = service(&dir);
    let (status, v) = get(&state, "/open311/v2/services.json?jurisdiction_id=110108").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let services = v.as_array().expect("a list");
    assert_eq!(services.len(), minyi_model::categories::leaves().count());
    let garbage = services.iter().find(|s| s["service_code"] == "urban.sanitation.garbage").expect("garbage");
    assert_eq!(garbage["service_name"], "垃圾清运");
    assert_eq!(garbage["type"], "realtime");
    assert_eq!(garbage["metadata"], false, "海淀 adds nothing to garbage: {garbage}");
    let with_building = services
        .iter()
        .filter(|s| s["metadata"] == true)
        .map(|s| s["service_code"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>();
    assert!(with_building.iter().any(|c| c.starts_with("housing.property")), "{with_building:?}");

    let code = with_building.iter().find(|c| c.starts_with("housing.property")).expect("a property service");
    let (status, def) =
        get(&state, &format!("/open311/v2/services/{code}.json?jurisdiction_id=110108&locale=en")).await;
    assert_eq!(status, StatusCode::OK, "{def}");
    let attrs = def["attributes"].as_array().expect("attributes");
    let building = attrs.iter().find(|a| a["code"] == "building_no").expect("building_no");
    assert_eq!(
        (
            building["variable"].clone(),
            building["datatype"].clone(),
            building["required"].clone(),
            building["order"].clone()
        ),
        (json!(true), json!("string"), json!(true), json!(1)),
        "{building}"
    );
    assert_eq!(building["description"], "Building number");
    // The same service in 朝阳, under Beijing's schema: the building number is optional there.
    let (_, def) = get(&state, &format!("/open311/v2/services/{code}.json?jurisdiction_id=110105")).await;
    let attrs = def["attributes"].as_array().expect("list");
    assert!(attrs.iter().all(|a| a["code"] != "building_no" || a["required"] == false), "{def}");

    let (status, v) = get(&state, "/open311/v2/services/no.such.leaf.json").await;
    assert!(errors(StatusCode::NOT_FOUND, &v)[0].starts_with("service_code:"), "{v}");
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = get(&state, "/open311/v2/services/urban.sanitation.garbage.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(errors(status, &v)[0].starts_with("format:"), "{v}");
    let (status, v) = get(&state, "/open311/v2/services.json?jurisdiction_id=999999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors(status, &v)[0].starts_with("jurisdiction_id:"), "{v}");
}

#[tokio::test]
async fn a_client_posts_through_intake_and_anyone_follows_without_personal_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _plugins, admins, city) = service(&dir);
    let client = |district: Option<&str>, role: Role| {
        let spec = NewToken { role: Some(role), district, unit: None, name: Some("vendor app") };
        admins.create(Some(&city), &spec).expect("token").token
    };
    let chaoyang_app = client(Some("110105"), Role::Client);
    let any_district_app = client(None, Role::Client);

    // The spec's example request, in Beijing: form-encoded, with the client's own ids.
    let body = format!(
        "api_key={chaoyang_app}&jurisdiction_id=110105&service_code=urban.sanitation.garbage&lat=39.9968&long=116.4704\
         &address_string=%E6%9C%9D%E9%98%B3%E5%8C%BA%E6%9C%9B%E4%BA%AC%E8%A5%BF%E5%9B%AD%E4%B8%89%E5%8C%BA\
         &email=wang%40example.cn&device_id=tt222111&account_id=123456&first_name=%E7%8E%8B&last_name=%E5%A5%B3%E5%A3%AB\
         &phone=13800138000&description=%E5%B0%8F%E5%8C%BA%E5%9E%83%E5%9C%BE%E4%B8%89%E5%A4%A9%E6%B2%A1%E4%BA%BA%E6%B8%85%E8%BF%90%E4%BA%86\
         &media_url=http%3A%2F%2Fexample.cn%2Fimage.jpg"
    );
    let (status, location, v) = call(&state, "POST", "/open311/v2/requests.json", FORM, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let posted = &v[0];
    let id = posted["service_request_id"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("BJ-"), "{v}");
    assert_eq!(location.as_deref(), Some(format!("/open311/v2/requests/{id}.json").as_str()));
    assert_eq!(posted["account_id"], "123456");
    let token = posted["token"].as_str().expect("a token").to_owned();

    // The same case through the case API: the Open311 channel, the attributes and contact kept.
    let city_token = admins.create_admin(Some(&city), None).expect("token");
    let (status, case) = common_send(&state, &format!("/api/cases/{id}"), &city_token).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "dispatched", "{case}");
    assert_eq!(case["form"]["channel"], "open311");
    assert_eq!(case["form"]["reporter"]["phone"], "13800138000");
    assert!(
        case["form"]["description"].as_str().unwrap_or_default().contains("[media_url] http://example.cn/image.jpg")
    );

    // Anyone reads where it stands: the unit, the deadline — never the name, phone, address or text.
    let (status, one) = get(&state, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let request = &one[0];
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "urban.sanitation.garbage");
    assert_eq!(request["service_name"], "垃圾清运");
    assert_eq!(request["agency_responsible"], "望京街道", "{request}");
    assert!(request["expected_datetime"].as_str().is_some_and(|d| d > "2026-11-29"), "{request}");
    assert_eq!(request["requested_datetime"], case["received_at"]);
    let text = one.to_string();
    for private in ["13800138000", "王", "望京西园", "垃圾三天", "example.cn", "wang"] {
        assert!(!text.contains(private), "{private} is personal: {text}");
    }

    // Listings: by service, status and dates; by id; and the token.
    let (_, open) = get(
        &state,
        "/open311/v2/requests.json?jurisdiction_id=110105&service_code=urban.sanitation.garbage&status=open",
    )
    .await;
    assert!(open.as_array().expect("list").iter().any(|r| r["service_request_id"] == id.as_str()), "{open}");
    let (_, closed) = get(&state, "/open311/v2/requests.json?status=closed").await;
    assert!(!closed.to_string().contains(&id), "{closed}");
    let (_, other) = get(&state, "/open311/v2/requests.json?service_code=urban.roads.potholes").await;
    assert!(!other.to_string().contains(&id), "{other}");
    let (_, later) = get(
        &state,
        "/open311/v2/requests.json?start_date=2026-11-30T00:00:00%2B08:00&end_date=2026-12-01T00:00:00%2B08:00",
    )
    .await;
    assert!(!later.to_string().contains(&id), "{later}");
    let (_, window) = get(
        &state,
        "/open311/v2/requests.json?start_date=2026-11-29T00:00:00%2B08:00&end_date=2026-11-30T00:00:00%2B08:00",
    )
    .await;
    assert!(window.to_string().contains(&id), "{window}");
    let (_, by_id) =
        get(&state, &format!("/open311/v2/requests.json?service_request_id={id},BJ-20000101-000001")).await;
    assert_eq!(by_id.as_array().map(Vec::len), Some(1), "{by_id}");
    let (status, t) = get(&state, &format!("/open311/v2/tokens/{token}.json")).await;
    assert_eq!((status, t[0]["service_request_id"].clone()), (StatusCode::OK, json!(id)), "{t}");
    let (status, v) = get(&state, "/open311/v2/tokens/0123456789abcdef0123456789abcdef.json").await;
    assert!(errors(status, &v)[0].starts_with("token:"), "{v}");
    let (status, v) = get(&state, "/open311/v2/requests/BJ-20000101-000001.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");

    // JSON is taken too, with `attribute` as an object: a 海淀 property complaint without its
    // building number is stored, rejected, and the parameter named.
    let body = json!({"api_key": any_district_app, "jurisdiction_id": "110108", "service_code": "housing.property.common_areas",
        "description": "电梯坏了一周", "address_string": "海淀区万寿路街道某小区3号楼", "phone": "13800138000",
        "attribute": {"building_no": ""}});
    let (status, _, v) = call(&state, "POST", "/open311/v2/requests.json", "application/json", &body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let why = errors(status, &v);
    assert!(why.iter().any(|d| d.starts_with("attribute[building_no]:") && d.contains("stored as BJ-")), "{why:?}");
    let rejected = why[0].rsplit("stored as ").next().unwrap_or_default().trim_end_matches(')').to_owned();
    let (_, case) = common_send(&state, &format!("/api/cases/{rejected}"), &city_token).await;
    assert_eq!(case["state"], "rejected", "stored before it was refused: {case}");
    let body = body.to_string().replace("\"building_no\":\"\"", "\"building_no\":\"12号楼\"");
    let (status, _, v) = call(&state, "POST", "/open311/v2/requests.json", "application/json", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    // A latitude that is no number is kept and named, not dropped.
    let body =
        format!("api_key={chaoyang_app}&service_code=urban.sanitation.garbage&lat=north&long=116.47&description=x");
    let (status, _, v) = call(&state, "POST", "/open311/v2/requests.json", FORM, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(errors(status, &v).iter().any(|d| d.contains("stored as BJ-")), "{v}");
}

#[tokio::test]
async fn keys_that_are_not_a_client_s_or_not_for_the_district_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _plugins, admins, city) = service(&dir);
    let token = |district: Option<&str>, role: Role| {
        let spec = NewToken { role: Some(role), district, unit: None, name: None };
        admins.create(Some(&city), &spec).expect("token").token
    };
    let chaoyang_app = token(Some("110105"), Role::Client);
    let district_admin = token(Some("110105"), Role::District);
    let post = |body: String| {
        let state = state.clone();
        async move { call(&state, "POST", "/open311/v2/requests.json", FORM, &body).await }
    };
    let base = "service_code=urban.sanitation.garbage&description=x&address_string=y";
    let (status, _, v) = post(base.to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors(status, &v)[0].starts_with("api_key: required"), "{v}");
    let (status, _, v) = post(format!("api_key=not-a-key&{base}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(errors(status, &v)[0].starts_with("api_key:"), "{v}");
    let (status, _, v) = post(format!("api_key={district_admin}&{base}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(errors(status, &v)[0].contains("not a client key"), "{v}");
    let (status, _, v) = post(format!("api_key={chaoyang_app}&jurisdiction_id=110108&{base}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, _, v) = post(format!("api_key={}&{base}", token(None, Role::Client))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors(status, &v)[0].starts_with("jurisdiction_id: required"), "{v}");
    // The key in the query string, as some clients send it.
    let (state2, body) = (state.clone(), base.to_owned());
    let (status, _, v) =
        call(&state2, "POST", &format!("/open311/v2/requests.json?api_key={chaoyang_app}"), FORM, &body).await;
    assert_ne!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, _, v) = call(&state, "POST", "/open311/v2/requests.json", "application/json", "[1, 2]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors(status, &v)[0].starts_with("body:"), "{v}");
    let (status, v) = get(&state, "/open311/v2/requests.json?status=pending").await;
    assert!(errors(status, &v)[0].starts_with("status:"), "{v}");
    let (status, v) = get(&state, "/open311/v2/requests.json?start_date=yesterday").await;
    assert!(errors(status, &v)[0].starts_with("start_date:"), "{v}");
    let ids = (0..101).map(|i| format!("BJ-20261129-{i:06}")).collect::<Vec<_>>().join(",");
    let (status, v) = get(&state, &format!("/open311/v2/requests.json?service_request_id={ids}")).await;
    assert!(errors(status, &v)[0].starts_with("service_request_id:"), "{v}");
    // Without a store, a clear 503 in the GeoReport shape, no internals.
    let off = AppState { cases: None, ..state.clone() };
    let (status, v) = get(&off, "/open311/v2/requests.json").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(errors(status, &v)[0].starts_with("cases.none:"), "{v}");
}

/// A GET of the case API with a bearer token.
async fn common_send(state: &AppState, uri: &str, token: &str) -> (StatusCode, Value) {
    super::common::send(state, "GET", uri, Some(token), String::new()).await
}
