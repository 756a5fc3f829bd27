//! The case forms the validation benches share (a typical one and a 2,000-character one) and the
//! structural part of the form as JSON Schema 2020-12, for the generic validators they are compared with
//! (`jsonschema` natively, ajv in the browser).

pub fn model_form() -> minyi_model::CaseForm {
    serde_json::from_value(serde_json::json!({
        "district": "110105", "street": "110105026", "channel": "web", "kind": "complaint",
        "category": "urban.sanitation.garbage", "title": "小区垃圾三天没人清运",
        "description": "望京西园三区3号楼下的垃圾桶已经满了三天，一直没有人来清运，气味很大，请尽快处理。",
        "address": "朝阳区望京街道望京西园三区3号楼", "reporter": {"phone": "138 0013 8000"},
        "consent": true, "received_at": "2026-11-29T10:00:00+08:00"
    }))
    .expect("fixture is a case form")
}

/// The typical form with a 2,000-character description: a long complaint as people write it, prose with
/// one phone number at the end.
pub fn long_form() -> minyi_model::CaseForm {
    let mut form = model_form();
    let prose =
        "望京西园三区楼下的垃圾桶已经满了好几天，一直没有人来清运，夏天气味很大，蚊蝇很多，老人孩子都不敢下楼。";
    form.description = prose.chars().cycle().take(1982).chain("请回电：139 1234 5678。".chars()).collect();
    assert_eq!(form.description.chars().count(), 2000);
    form
}

/// The structural part of the case form as JSON Schema (types, required fields, enums, lengths, the
/// mobile pattern, attachment limits): what a generic validator can check of the same form.
pub fn json_schema() -> serde_json::Value {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["district", "channel", "kind", "category", "title", "description", "address", "reporter", "consent", "received_at"],
        "properties": {
            "district": {"type": "string", "pattern": "^[0-9]{6}$"},
            "street": {"type": "string", "pattern": "^[0-9]{9}$"},
            "channel": {"enum": ["hotline", "web", "app", "wechat", "open311", "other"]},
            "kind": {"enum": ["consult", "help", "complaint", "report", "suggestion", "praise"]},
            "category": {"type": "string", "pattern": "^[a-z_]+\\.[a-z_]+\\.[a-z_]+$"},
            "title": {"type": "string", "minLength": 2, "maxLength": 100},
            "description": {"type": "string", "minLength": 5, "maxLength": 2000},
            "address": {"type": "string", "minLength": 2, "maxLength": 200},
            "location": {"type": "object", "required": ["lat", "lon"], "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
            "reporter": {"type": "object", "required": ["phone"], "properties": {
                "name": {"type": "string", "maxLength": 50},
                "phone": {"type": "string", "pattern": "^\\s*(\\+?86)?[\\s-]*1[3-9]([\\s-]*[0-9]){9}\\s*$"},
                "id_number": {"type": "string", "pattern": "^[0-9]{17}[0-9Xx]$"},
                "email": {"type": "string", "format": "email"},
                "anonymous": {"type": "boolean"}}},
            "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
            "attachments": {"type": "array", "maxItems": 9, "items": {"type": "object", "required": ["name", "mime", "bytes"], "properties": {
                "name": {"type": "string"},
                "mime": {"enum": ["image/jpeg", "image/png", "image/heic", "image/webp", "video/mp4", "audio/mpeg", "audio/amr", "application/pdf"]},
                "bytes": {"type": "integer", "maximum": 20971520}}}},
            "consent": {"const": true},
            "received_at": {"type": "string", "format": "date-time"}
        }
    })
}
