//! District case-form schemas as data (TOML): required fields, lengths, attachment limits and
//! per-category extra attributes with Open311 datatypes. A wrong schema is rejected with line,
//! column, the schema field and the reason.

use minyi_model::source::line_col;
use minyi_model::{AttachmentSpec, AttributeSpec, Choice, FormSpec, LengthSpec, Message, categories, divisions};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use toml::Spanned;

/// The built-in Beijing schema.
pub const BEIJING: &str = include_str!("../data/beijing.toml");
/// The built-in 海淀区 schema (extends Beijing).
pub const HAIDIAN: &str = include_str!("../data/haidian.toml");

/// Field paths a schema may require.
const REQUIRABLE: &[&str] = &[
    "title",
    "description",
    "address",
    "category",
    "street",
    "location",
    "reporter.name",
    "reporter.phone",
    "reporter.id_number",
    "reporter.email",
    "consent",
];
/// Free-text field paths a schema may bound.
const TEXT_FIELDS: &[&str] = &["title", "description", "address", "reporter.name"];

/// A problem in a schema document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// 1-based line (0: not tied to a place).
    pub line: u32,
    /// 1-based column (0: not tied to a place).
    pub column: u32,
    /// The schema field at fault, e.g. `attribute[2].datatype`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {}", self.line, self.column, self.field, self.message)
    }
}

/// Open311 attribute datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    /// Short text.
    String,
    /// A number.
    Number,
    /// An RFC 3339 timestamp.
    Datetime,
    /// Long text.
    Text,
    /// One key of `values`.
    Singlevaluelist,
    /// Comma-separated keys of `values`.
    Multivaluelist,
}

impl Datatype {
    /// The Open311 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    #[serde(rename = "zh-CN")]
    zh_cn: String,
    en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListValue {
    key: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
    en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeDef {
    code: Spanned<String>,
    categories: Spanned<Vec<String>>,
    datatype: Datatype,
    #[serde(default)]
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
    label: Label,
    values: Option<Spanned<Vec<ListValue>>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct Length {
    min: Option<u32>,
    max: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentsDef {
    max_count: Option<u32>,
    max_bytes: Option<u64>,
    mime: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    district: Spanned<String>,
    extends: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequiredDef {
    #[serde(default)]
    fields: Vec<Spanned<String>>,
    #[serde(default)]
    optional: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaFile {
    schema: Header,
    #[serde(default)]
    required: RequiredDef,
    #[serde(default)]
    lengths: BTreeMap<String, Spanned<Length>>,
    attachments: Option<AttachmentsDef>,
    #[serde(default, rename = "attribute")]
    attributes: Vec<Spanned<AttributeDef>>,
}

/// An extra attribute of some categories.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Attribute code (the key in the form's `attributes`).
    pub code: String,
    /// Category prefixes it applies to.
    pub categories: Vec<String>,
    /// Open311 datatype: string, number, datetime, text, singlevaluelist or multivaluelist.
    pub datatype: Datatype,
    /// Must be given.
    pub required: bool,
    /// Lower bound (numbers) or minimum length (text).
    pub min: Option<f64>,
    /// Upper bound (numbers) or maximum length (text).
    pub max: Option<f64>,
    /// Label for messages.
    pub label: Message,
    /// The choices of list datatypes (key and label).
    pub values: Vec<Choice>,
}

impl Attribute {
    /// Applies to a form of this category?
    pub fn applies_to(&self, category: &str) -> bool {
        self.categories.iter().any(|p| categories::under(category, p))
    }
}

/// Attachment limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// Most files.
    pub max_count: u32,
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Allowed MIME types.
    pub mime: Vec<String>,
}

/// A checked schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The name shown to the citizen.
    pub name: String,
    /// District it is for; `None` for any.
    pub district: Option<String>,
    /// Required field paths.
    pub required: BTreeSet<String>,
    /// (min, max) character lengths per text field.
    pub lengths: BTreeMap<String, (u32, u32)>,
    /// Attachment limits.
    pub attachments: AttachmentLimits,
    /// Extra attributes.
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// (min, max) characters of a text field.
    pub fn length(&self, field: &str) -> (u32, u32) {
        self.lengths.get(field).copied().unwrap_or((0, 10_000))
    }

    /// Is this field required?
    pub fn requires(&self, field: &str) -> bool {
        self.required.contains(field)
    }

    /// The form as a page draws it, for `district` (what the host serves as `GET /api/form`).
    pub fn spec(&self, district: &str) -> FormSpec {
        FormSpec {
            district: district.to_owned(),
            name: self.name.clone(),
            required: self.required.iter().cloned().collect(),
            lengths: self.lengths.iter().map(|(f, &(min, max))| (f.clone(), LengthSpec { min, max })).collect(),
            attachments: AttachmentSpec {
                max_count: self.attachments.max_count,
                max_bytes: self.attachments.max_bytes,
                mime: self.attachments.mime.clone(),
            },
            attributes: self
                .attributes
                .iter()
                .map(|a| AttributeSpec {
                    code: a.code.clone(),
                    categories: a.categories.clone(),
                    datatype: a.datatype.as_str().to_owned(),
                    required: a.required,
                    min: a.min,
                    max: a.max,
                    label: a.label.clone(),
                    values: a.values.clone(),
                })
                .collect(),
        }
    }
}

struct Errors<'a> {
    source: &'a str,
    list: Vec<SchemaError>,
}

impl Errors<'_> {
    fn at(&mut self, offset: usize, field: impl Into<String>, message: impl Into<String>) {
        let (line, column) = line_col(self.source, offset);
        self.list.push(SchemaError { line, column, field: field.into(), message: message.into() });
    }
}

/// Parses and checks a schema; every problem comes back with its place.
pub fn parse(source: &str) -> Result<Schema, Vec<SchemaError>> {
    let file: SchemaFile = toml::from_str(source).map_err(|e| {
        let (line, column) = line_col(source, e.span().map_or(0, |s| s.start));
        vec![SchemaError { line, column, field: "(syntax)".into(), message: e.message().trim().to_owned() }]
    })?;
    let mut errors = Errors { source, list: Vec::new() };
    let district = file.schema.district.get_ref().trim();
    if district != "*" && divisions::district(district).is_none() {
        errors.at(file.schema.district.span().start, "schema.district", format!("unknown district code {district:?}"));
    }
    let mut schema = match file.schema.extends.as_ref().map(|e| (e.get_ref().as_str(), e.span().start)) {
        None => Schema {
            name: String::new(),
            district: None,
            required: BTreeSet::new(),
            lengths: BTreeMap::new(),
            attachments: AttachmentLimits { max_count: 9, max_bytes: 20 << 20, mime: Vec::new() },
            attributes: Vec::new(),
        },
        Some(("beijing", _)) => beijing().as_ref().clone(),
        Some((other, at)) => {
            errors.at(at, "schema.extends", format!("unknown base schema {other:?}; the only base is \"beijing\""));
            beijing().as_ref().clone()
        }
    };
    schema.name = file.schema.name.clone();
    schema.district = (district != "*").then(|| district.to_owned());

    for f in &file.required.fields {
        if REQUIRABLE.contains(&f.get_ref().as_str()) {
            schema.required.insert(f.get_ref().clone());
        } else {
            errors.at(
                f.span().start,
                "required.fields",
                format!("{:?} is not a field that can be required; one of {REQUIRABLE:?}", f.get_ref()),
            );
        }
    }
    for f in &file.required.optional {
        if !schema.required.remove(f.get_ref()) {
            errors.at(
                f.span().start,
                "required.optional",
                format!("{:?} is not required by the base schema", f.get_ref()),
            );
        }
    }
    for (field, len) in &file.lengths {
        let at = len.span().start;
        if !TEXT_FIELDS.contains(&field.as_str()) {
            errors.at(at, format!("lengths.{field}"), format!("{field:?} is not a text field; one of {TEXT_FIELDS:?}"));
            continue;
        }
        let (min, max) = (len.get_ref().min.unwrap_or(0), len.get_ref().max.unwrap_or(10_000));
        if min > max {
            errors.at(at, format!("lengths.{field}"), format!("min {min} is greater than max {max}"));
        }
        schema.lengths.insert(field.clone(), (min, max));
    }
    if let Some(a) = &file.attachments {
        if let Some(n) = a.max_count {
            schema.attachments.max_count = n;
        }
        if let Some(n) = a.max_bytes {
            schema.attachments.max_bytes = n;
        }
        if let Some(m) = &a.mime {
            schema.attachments.mime = m.clone();
        }
    }
    for (i, def) in file.attributes.iter().enumerate() {
        if let Some(attr) = check_attribute(i, def, &mut errors) {
            schema.attributes.retain(|a| a.code != attr.code);
            schema.attributes.push(attr);
        }
    }
    if errors.list.is_empty() { Ok(schema) } else { Err(errors.list) }
}

fn check_attribute(i: usize, def: &Spanned<AttributeDef>, errors: &mut Errors<'_>) -> Option<Attribute> {
    let d = def.get_ref();
    let before = errors.list.len();
    let field = |f: &str| format!("attribute[{i}].{f}");
    let code = d.code.get_ref();
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        errors.at(d.code.span().start, field("code"), format!("{code:?} must be lower-case letters, digits and _"));
    }
    if d.categories.get_ref().is_empty() {
        errors.at(d.categories.span().start, field("categories"), "at least one category prefix is needed");
    }
    for c in d.categories.get_ref() {
        if categories::get(c).is_none() {
            errors.at(d.categories.span().start, field("categories"), format!("{c:?} is not a category of the tree"));
        }
    }
    let is_list = matches!(d.datatype, Datatype::Singlevaluelist | Datatype::Multivaluelist);
    let values: &[ListValue] = d.values.as_ref().map_or(&[], |v| v.get_ref().as_slice());
    let values_at = d.values.as_ref().map_or(def.span().start, |v| v.span().start);
    if is_list && values.is_empty() {
        errors.at(def.span().start, field("values"), "a list datatype needs `values`");
    }
    if !is_list && !values.is_empty() {
        errors.at(values_at, field("values"), "`values` only apply to list datatypes");
    }
    let mut keys = BTreeSet::new();
    for v in values {
        if !keys.insert(v.key.as_str()) {
            errors.at(values_at, field("values"), format!("duplicate key {:?}", v.key));
        }
        if v.zh_cn.is_empty() || v.en.is_empty() {
            errors.at(values_at, field("values"), format!("value {:?} needs zh-CN and en labels", v.key));
        }
    }
    if let (Some(min), Some(max)) = (d.min, d.max)
        && min > max
    {
        errors.at(def.span().start, field("min"), format!("min {min} is greater than max {max}"));
    }
    if errors.list.len() > before {
        return None;
    }
    Some(Attribute {
        code: code.clone(),
        categories: d.categories.get_ref().clone(),
        datatype: d.datatype,
        required: d.required,
        min: d.min,
        max: d.max,
        label: Message::new(d.label.zh_cn.clone(), d.label.en.clone()),
        values: values
            .iter()
            .map(|v| Choice { key: v.key.clone(), label: Message::new(v.zh_cn.clone(), v.en.clone()) })
            .collect(),
    })
}

/// The built-in Beijing schema, parsed once.
pub fn beijing() -> Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| Arc::new(parse_builtin(BEIJING))).clone()
}

fn parse_builtin(source: &str) -> Schema {
    // The built-in schemas are checked by this crate's tests; an error here is a build defect.
    parse(source).unwrap_or_else(|errors| panic!("built-in schema is invalid: {errors:?}"))
}

/// The built-in schema for a district (its own if it has one, else Beijing's).
pub fn for_district(district: &str) -> Arc<Schema> {
    static HAIDIAN_SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    match district {
        "110108" => HAIDIAN_SCHEMA.get_or_init(|| Arc::new(parse_builtin(HAIDIAN))).clone(),
        _ => beijing(),
    }
}

/// Parses a schema, reusing the last parse when the same source comes again (warm component instances
/// see the same district schema call after call).
pub fn cached(source: &str) -> Result<Arc<Schema>, Vec<SchemaError>> {
    static LAST: Mutex<Option<(String, Arc<Schema>)>> = Mutex::new(None);
    if let Ok(last) = LAST.lock()
        && let Some((src, schema)) = last.as_ref()
        && src == source
    {
        return Ok(schema.clone());
    }
    let schema = Arc::new(parse(source)?);
    if let Ok(mut last) = LAST.lock() {
        *last = Some((source.to_owned(), schema.clone()));
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        let b = parse(BEIJING).expect("Beijing schema is valid");
        assert!(b.requires("reporter.phone") && b.requires("category"));
        assert_eq!(b.length("description"), (5, 2000));
        let h = parse(HAIDIAN).expect("Haidian schema is valid");
        assert_eq!(h.district.as_deref(), Some("110108"));
        assert!(h.attributes.iter().any(|a| a.code == "building_no" && a.required));
        assert_eq!(h.attributes.iter().filter(|a| a.code == "building_no").count(), 1);
    }

    fn errors(src: &str) -> Vec<String> {
        parse(src).expect_err("invalid").iter().map(ToString::to_string).collect()
    }

    #[test]
    fn wrong_schemas_name_line_field_and_reason() {
        let head = "[schema]\nname = \"x\"\ndistrict = \"*\"\n";
        assert_eq!(
            errors("[schema]\nname = \"x\"\ndistrict = \"999999\"\n"),
            ["3:12: schema.district: unknown district code \"999999\""]
        );
        let e = errors(&format!("{head}[required]\nfields = [\"title\", \"colour\"]\n"));
        assert!(e[0].starts_with("5:20: required.fields: \"colour\""), "{e:?}");
        let e = errors(&format!(
            "{head}[[attribute]]\ncode = \"x\"\ncategories = [\"urban\"]\ndatatype = \"date\"\nlabel = {{ zh-CN = \"x\", en = \"x\" }}\n"
        ));
        assert!(e[0].starts_with("7:12: (syntax): unknown variant `date`"), "{e:?}");
        let e = errors(&format!(
            "{head}[[attribute]]\ncode = \"x\"\ncategories = [\"nowhere\"]\ndatatype = \"singlevaluelist\"\nlabel = {{ zh-CN = \"x\", en = \"x\" }}\n"
        ));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("attribute[0].categories: \"nowhere\" is not a category"), "{e:?}");
        assert!(e[1].contains("attribute[0].values: a list datatype needs `values`"), "{e:?}");
        let e = errors(&format!("{head}[lengths]\ntitle = {{ min = 9, max = 3 }}\n"));
        assert!(e[0].starts_with("5:9: lengths.title: min 9 is greater than max 3"), "{e:?}");
    }

    #[test]
    fn the_spec_carries_each_district_s_own_attributes_with_their_choices() {
        let haidian = for_district("110108").spec("110108");
        let building = haidian.attributes.iter().find(|a| a.code == "building_no").expect("haidian has building_no");
        assert!(building.required, "haidian makes the building number required");
        assert!(building.applies_to("housing.property.fees") && !building.applies_to("housing.propertyx"));
        let beijing = for_district("110105").spec("110105");
        let building = beijing.attributes.iter().find(|a| a.code == "building_no").expect("beijing has building_no");
        assert!(!building.required, "optional outside haidian");
        let heat = beijing.attributes.iter().find(|a| a.code == "room_temperature").expect("room temperature");
        assert_eq!(
            (heat.datatype.as_str(), heat.required, heat.min, heat.max),
            ("number", true, Some(-30.0), Some(40.0))
        );
        let noise = beijing.attributes.iter().find(|a| a.code == "noise_period").expect("noise period");
        let keys: Vec<&str> = noise.values.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["day", "night", "all_day"]);
        assert_eq!(noise.values[1].label.en, "Night (22:00–6:00)");
        assert!(beijing.required.contains(&"reporter.phone".to_owned()));
        assert_eq!(beijing.lengths["title"], LengthSpec { min: 2, max: 100 });
        assert_eq!(beijing.attachments.max_count, 9);
    }
}
