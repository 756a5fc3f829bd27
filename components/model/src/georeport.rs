//! Open311 GeoReport v2 as Minyi speaks it: the shapes of `/open311/v2/` (services, service
//! definitions, service requests, errors) and the pure mappings between them and Minyi's own —
//! a category leaf is a service, a district schema's attributes are its definition, a request's
//! parameters become a case-form document, a case's state becomes `open` or `closed`.
//!
//! A request always becomes a document, whatever its parameters: intake stores it first and the
//! validator names what is wrong, with the field paths [`param_of`] turns back into parameter names.

use crate::{CaseState, FormSpec, categories, divisions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The language of names and notes: GeoReport has none, Minyi takes `locale` (`zh-CN`, the default, or `en`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// Simplified Chinese.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Locale {
    /// `en` (or `en-…`) is English; anything else Chinese.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some(v) if v == "en" || v.starts_with("en-") || v.starts_with("en_") => Locale::En,
            _ => Locale::ZhCn,
        }
    }

    fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Locale::ZhCn => zh,
            Locale::En => en,
        }
    }
}

/// One service of `services.json`: a category leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Service {
    /// The leaf's code, e.g. `urban.sanitation.garbage`.
    pub service_code: String,
    /// Its name.
    pub service_name: String,
    /// Where it sits in the tree (`level 1 / level 2 / leaf`).
    pub description: String,
    /// Whether `services/{service_code}.json` lists attributes for it (the district schema adds some).
    pub metadata: bool,
    /// `realtime`: a request is validated, routed and given its number as it is posted.
    #[serde(rename = "type")]
    pub kind: String,
    /// Words to search by: the leaf's names in both languages.
    pub keywords: String,
    /// Its level-2 group's name.
    pub group: String,
}

/// `services/{service_code}.json`: the attributes a request of this service carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceDefinition {
    /// The service.
    pub service_code: String,
    /// Its attributes, in the schema's order.
    pub attributes: Vec<ServiceAttribute>,
}

/// One attribute of a service definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceAttribute {
    /// Always true: every attribute is the citizen's to give.
    pub variable: bool,
    /// The key of `attribute[code]`.
    pub code: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist` or `multivaluelist`.
    pub datatype: String,
    /// Must be given.
    pub required: bool,
    /// Bounds and format, in words.
    pub datatype_description: String,
    /// Its place, from 1.
    pub order: u32,
    /// The label.
    pub description: String,
    /// The choices of a list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

/// One choice of a list attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttributeValue {
    /// What the request sends.
    pub key: String,
    /// What people read.
    pub name: String,
}

/// The answer to a posted request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Posted {
    /// The case number.
    pub service_request_id: String,
    /// The citizen's tracking token (`tokens/{token}.json`, and Minyi's tracking page).
    pub token: String,
    /// What happens next, in words.
    pub service_notice: String,
    /// The `account_id` the client sent, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// A service request as anyone may read it: where it stands, never who filed it or what they wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceRequest {
    /// The case number.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The state, in words.
    pub status_notes: String,
    /// The service's name.
    pub service_name: Option<String>,
    /// The category leaf.
    pub service_code: Option<String>,
    /// The unit leading it (a street's name; a department's code).
    pub agency_responsible: Option<String>,
    /// What happens next, in words.
    pub service_notice: String,
    /// When this service stored it.
    pub requested_datetime: String,
    /// Its last change.
    pub updated_datetime: String,
    /// The reply deadline.
    pub expected_datetime: Option<String>,
}

/// One GeoReport error: the HTTP status and what is wrong, naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GeoError {
    /// The HTTP status (400, 403, 404 …).
    pub code: u16,
    /// What is wrong.
    pub description: String,
}

/// The services of a district's form: one per category leaf, in code order.
pub fn services(spec: &FormSpec, locale: Locale) -> Vec<Service> {
    categories::leaves()
        .map(|leaf| {
            let path = path_names(leaf.code, locale);
            Service {
                service_code: leaf.code.to_owned(),
                service_name: locale.pick(leaf.zh_cn, leaf.en).to_owned(),
                description: path.join(" / "),
                metadata: spec.attributes.iter().any(|a| a.applies_to(leaf.code)),
                kind: "realtime".to_owned(),
                keywords: format!("{}, {}", leaf.zh_cn, leaf.en),
                group: path.get(1).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The names of a code's levels, from the top.
fn path_names(code: &str, locale: Locale) -> Vec<String> {
    let mut names = Vec::new();
    let mut end = 0;
    for part in code.split('.') {
        end += part.len();
        if let Some(node) = categories::get(&code[..end]) {
            names.push(locale.pick(node.zh_cn, node.en).to_owned());
        }
        end += 1;
    }
    names
}

/// A service's definition: the district schema's attributes that apply to the leaf. `None`: no such leaf.
pub fn definition(spec: &FormSpec, service_code: &str, locale: Locale) -> Option<ServiceDefinition> {
    categories::leaf(service_code)?;
    let attributes = spec
        .attributes
        .iter()
        .filter(|a| a.applies_to(service_code))
        .zip(1..)
        .map(|(a, order)| {
            let bound = |v: Option<f64>| v.map(|v| v.to_string());
            let bounds = match (bound(a.min), bound(a.max), a.datatype.as_str()) {
                (Some(lo), Some(hi), "number") => {
                    locale.pick("取值范围", "between").to_owned() + &format!(" {lo}–{hi}")
                }
                (Some(lo), Some(hi), _) => format!("{} {lo}–{hi}", locale.pick("字数", "characters")),
                (None, Some(hi), "number") => format!("≤ {hi}"),
                (None, Some(hi), _) => format!("{} ≤ {hi}", locale.pick("字数", "characters")),
                (Some(lo), None, _) => format!("≥ {lo}"),
                (None, None, "datetime") => "RFC 3339".to_owned(),
                (None, None, "multivaluelist") => {
                    locale.pick("可多选，用逗号分隔", "one or more, comma-separated").to_owned()
                }
                (None, None, _) => String::new(),
            };
            ServiceAttribute {
                variable: true,
                code: a.code.clone(),
                datatype: a.datatype.clone(),
                required: a.required,
                datatype_description: bounds,
                order,
                description: locale.pick(&a.label.zh_cn, &a.label.en).to_owned(),
                values: a
                    .values
                    .iter()
                    .map(|c| AttributeValue {
                        key: c.key.clone(),
                        name: locale.pick(&c.label.zh_cn, &c.label.en).to_owned(),
                    })
                    .collect(),
            }
        })
        .collect();
    Some(ServiceDefinition { service_code: service_code.to_owned(), attributes })
}

/// The case-form document a posted request stands for, for `district`, received `now` through the
/// `open311` channel. Total: a value the form cannot hold as typed (a `lat` that is no number) is kept
/// as given, for the validator to name. `attribute[code]` and `attribute[code][]` (repeated, joined
/// with commas as a multi-value list is) are the attributes; first and last names make the name;
/// `media_url` is kept in the description, never fetched. Open311 has no consent field: a client
/// posting contact data vouches for the citizen's consent unless it sends `consent=false`.
pub fn case_form(params: &[(String, String)], district: &str, now: &str) -> Value {
    let one = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let service = one("service_code");
    let title = service
        .and_then(categories::leaf)
        .map(|c| c.zh_cn.to_owned())
        .or_else(|| service.map(str::to_owned))
        .unwrap_or_default();
    let mut description = one("description").unwrap_or_default().to_owned();
    if let Some(media) = one("media_url") {
        description = format!("{description}\n[media_url] {media}").trim().to_owned();
    }
    let mut form = json!({
        "district": district,
        "channel": "open311",
        "kind": "complaint",
        "title": title,
        "description": description,
        "address": one("address_string").unwrap_or_default(),
        "consent": one("consent") != Some("false"),
        "received_at": now,
    });
    if let Some(code) = service {
        form["category"] = json!(code);
    }
    let number = |v: &str| v.parse::<f64>().ok().filter(|n| n.is_finite()).map_or_else(|| json!(v), |n| json!(n));
    match (one("lat"), one("long")) {
        (None, None) => {}
        (lat, lon) => {
            form["location"] = json!({"lat": lat.map_or(Value::Null, number), "lon": lon.map_or(Value::Null, number)})
        }
    }
    let name = [one("first_name"), one("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let mut reporter = Map::new();
    for (key, value) in [("name", Some(name.as_str())), ("phone", one("phone")), ("email", one("email"))] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            reporter.insert(key.to_owned(), json!(v));
        }
    }
    if !reporter.is_empty() {
        reporter.insert("anonymous".to_owned(), json!(false));
        form["reporter"] = Value::Object(reporter);
    }
    let mut attributes: Vec<(String, String)> = Vec::new();
    for (key, value) in params {
        let Some(code) = key.strip_prefix("attribute[").and_then(|k| k.strip_suffix("][]").or(k.strip_suffix(']')))
        else {
            continue;
        };
        let value = value.trim();
        match attributes.iter_mut().find(|(c, _)| c == code) {
            Some((_, joined)) if !value.is_empty() => *joined = format!("{joined},{value}"),
            Some(_) => {}
            None => attributes.push((code.to_owned(), value.to_owned())),
        }
    }
    if !attributes.is_empty() {
        form["attributes"] = Value::Object(attributes.into_iter().map(|(k, v)| (k, json!(v))).collect());
    }
    form
}

/// The request parameter a case-form field path comes from, for errors that name it.
pub fn param_of(field: &str) -> String {
    if let Some(code) = field.strip_prefix("attributes.") {
        return format!("attribute[{code}]");
    }
    match field {
        "district" => "jurisdiction_id",
        "category" | "title" | "kind" => "service_code",
        "address" | "street" => "address_string",
        "location" => "lat/long",
        "location.lat" => "lat",
        "location.lon" => "long",
        "reporter" | "reporter.name" => "first_name/last_name",
        "reporter.phone" => "phone",
        "reporter.email" => "email",
        "received_at" | "channel" => "(set by the service)",
        other => other,
    }
    .to_owned()
}

/// Open311's two statuses: `closed` once the unit has replied or the request was refused, else `open`.
pub fn is_closed(state: CaseState) -> bool {
    matches!(state, CaseState::Rejected | CaseState::Replied | CaseState::Callback | CaseState::Closed)
}

/// The state in words, for `status_notes`.
pub fn status_notes(state: CaseState, locale: Locale) -> String {
    let (zh, en) = match state {
        CaseState::Received | CaseState::Accepted => ("已受理", "Received"),
        CaseState::Rejected => {
            ("未受理：诉求内容不完整或不属于受理范围", "Not accepted: incomplete, or not a demand this service takes")
        }
        CaseState::PendingManual => ("等待话务员分派", "Waiting for an operator to dispatch it"),
        CaseState::Dispatched => ("已派单，等待承办单位办理", "Dispatched to the unit responsible"),
        CaseState::InProgress => ("承办单位办理中", "The unit is working on it"),
        CaseState::Returned => ("承办单位退单，等待重新派单", "Returned by the unit; waiting to be dispatched again"),
        CaseState::Replied => ("承办单位已答复", "The unit has replied"),
        CaseState::Callback => ("已回访", "The citizen answered the callback"),
        CaseState::Closed => ("已办结", "Closed"),
        CaseState::Reopened => ("回访不满意，已重新办理", "Reopened after the callback"),
    };
    locale.pick(zh, en).to_owned()
}

/// What happens next after a post, in words.
pub fn service_notice(state: CaseState, locale: Locale) -> String {
    match state {
        CaseState::Dispatched => {
            locale.pick("已派单至承办单位，请按时限关注办理结果", "Dispatched; the unit replies within its time limit")
        }
        CaseState::Rejected => locale.pick("诉求未受理，请按错误提示修改后重新提交", "Not accepted; see the errors"),
        _ => locale.pick("已受理，等待话务员分派", "Received; an operator will dispatch it"),
    }
    .to_owned()
}

/// The unit's name as people read it: a street's or district's official name, else its code.
pub fn unit_name(unit: &str) -> String {
    match (divisions::street(unit), divisions::district(unit)) {
        (Some((_, street)), _) => street.name.to_owned(),
        (None, Some(d)) if d.code == unit => d.name.to_owned(),
        _ => unit.to_owned(),
    }
}

/// The parameters of a request posted as a JSON object (GeoReport allows it besides form encoding):
/// each key once per value, an `attribute` object flattened to `attribute[code]` (`[]` for a list);
/// nulls dropped. Refused: a body that is not a JSON object, or a value that is not a string, number
/// or boolean — as `(field, message)`.
pub fn json_params(body: &[u8]) -> Result<Vec<(String, String)>, (String, String)> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ("body".to_owned(), format!("not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(("body".to_owned(), "a JSON object of parameters is expected".to_owned()));
    };
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    for (key, value) in &map {
        match (key.as_str(), value) {
            ("attribute", Value::Object(attrs)) => {
                for (code, v) in attrs {
                    match v {
                        Value::Array(items) => {
                            out.extend(items.iter().filter_map(text).map(|t| (format!("attribute[{code}][]"), t)));
                        }
                        v => out.extend(text(v).map(|t| (format!("attribute[{code}]"), t))),
                    }
                }
            }
            (_, Value::Null) => {}
            (key, v) => {
                let t =
                    text(v).ok_or_else(|| (key.to_owned(), "a string, number or boolean is expected".to_owned()))?;
                out.push((key.to_owned(), t));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_request_becomes_a_case_form_document() {
        let form = case_form(
            &pairs(&[
                ("api_key", "k"),
                ("service_code", "urban.sanitation.garbage"),
                ("lat", "39.9219"),
                ("long", "116.4436"),
                ("address_string", "朝阳区呼家楼北街 3 号"),
                ("first_name", "John"),
                ("last_name", "Smith"),
                ("phone", "13800138000"),
                ("description", "垃圾三天没清运"),
                ("media_url", "https://example.org/a.jpg"),
                ("attribute[affected][]", "a"),
                ("attribute[affected][]", "b"),
                ("attribute[floor]", "3"),
            ]),
            "110105",
            "2026-12-04T10:00:00+08:00",
        );
        assert_eq!(form["category"], "urban.sanitation.garbage");
        assert_eq!(form["title"], "垃圾清运");
        assert_eq!(form["channel"], "open311");
        assert_eq!(form["location"], json!({"lat": 39.9219, "lon": 116.4436}));
        assert_eq!(form["reporter"]["name"], "John Smith");
        assert_eq!(form["attributes"], json!({"affected": "a,b", "floor": "3"}));
        assert_eq!(form["description"], "垃圾三天没清运\n[media_url] https://example.org/a.jpg");
        assert_eq!(form["consent"], true);
        assert!(form.get("api_key").is_none());
    }

    #[test]
    fn what_the_form_cannot_hold_is_kept_for_the_validator() {
        let form = case_form(&pairs(&[("lat", "north"), ("consent", "false")]), "110105", "now");
        assert_eq!(form["location"], json!({"lat": "north", "lon": null}));
        assert_eq!(form["consent"], false);
        assert!(form.get("category").is_none() && form.get("reporter").is_none());
    }

    #[test]
    fn fields_name_their_parameters() {
        assert_eq!(param_of("attributes.building_no"), "attribute[building_no]");
        assert_eq!(param_of("reporter.phone"), "phone");
        assert_eq!(param_of("location.lon"), "long");
        assert_eq!(param_of("category"), "service_code");
        assert!(is_closed(CaseState::Replied) && !is_closed(CaseState::Dispatched));
        assert_eq!(unit_name("110105026"), "望京街道");
        assert_eq!(unit_name("bj.heating"), "bj.heating");
    }
}
