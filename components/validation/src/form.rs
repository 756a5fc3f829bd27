//! Whole-form validation against a district schema, and single-field validation as the citizen types.

use crate::address;
use crate::id_number::{IdProblem, check_id_number};
use crate::phone::check_phone;
use crate::schema::{self, Datatype, Schema};
use crate::{InputError, messages, pii, screening};
use chrono::{DateTime, Datelike, FixedOffset};
use minyi_model::{CaseForm, Issue, Masked, Severity, ValidationResult, categories};

/// How far `received_at` may run ahead of `now` (clock skew between intake devices).
const FUTURE_SKEW_SECONDS: i64 = 300;
/// Beijing's bounding box, generously rounded.
const LAT: (f64, f64) = (39.4, 41.1);
const LON: (f64, f64) = (115.4, 117.6);

/// zh-CN and en labels of the form's fields, for messages.
fn label(field: &str) -> (&'static str, &'static str) {
    match field {
        "district" => ("所在区", "district"),
        "street" => ("街道（乡镇）", "street"),
        "category" => ("诉求分类", "category"),
        "title" => ("标题", "title"),
        "description" => ("诉求内容", "description"),
        "address" => ("地址", "address"),
        "location" => ("位置", "location"),
        "reporter.name" => ("姓名", "name"),
        "reporter.phone" => ("联系电话", "phone number"),
        "reporter.id_number" => ("身份证号码", "resident ID number"),
        "reporter.email" => ("电子邮箱", "e-mail address"),
        "consent" => ("个人信息处理同意", "consent"),
        _ => ("该项", "field"),
    }
}

fn required(field: &str) -> Issue {
    if field == "consent" {
        return messages::error(
            "consent",
            "consent.required",
            "请同意个人信息处理说明后再提交。",
            "Please agree to the processing of your personal data before submitting.",
        );
    }
    let (zh, en) = label(field);
    if matches!(field, "district" | "street" | "category") {
        // Picked from a list, not typed.
        let code = format!("{}.required", field);
        return messages::error(field, &code, format!("请选择{zh}。"), format!("Please choose the {en}."));
    }
    messages::required(field, zh, en)
}

/// Validates a whole form with the built-in schema of its district (Beijing's by default).
/// `now` is an RFC 3339 timestamp: the time of validation.
pub fn validate(form: &CaseForm, now: &str) -> Result<ValidationResult, InputError> {
    validate_with(&schema::for_district(form.district.trim()), form, now)
}

/// Validates a whole form with the given schema.
pub fn validate_with(schema: &Schema, form: &CaseForm, now: &str) -> Result<ValidationResult, InputError> {
    let now = DateTime::parse_from_rfc3339(now).map_err(|_| InputError::Now(now.to_owned()))?;
    let mut issues = Vec::new();
    let mut n = form.clone();
    n.district = form.district.trim().to_owned();
    n.street = form.street.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    n.category = form.category.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    n.title = form.title.trim().to_owned();
    n.description = form.description.trim().to_owned();
    n.address = address::normalize_spaces(&form.address);

    check_place(schema, &mut n, &mut issues);
    check_category(schema, &n, &mut issues);
    for field in ["title", "description", "address"] {
        let value = match field {
            "title" => &n.title,
            "description" => &n.description,
            _ => &n.address,
        };
        issues.extend(text_issue(schema, field, value));
    }
    check_location(schema, &n, &mut issues);
    check_reporter(schema, &mut n, now.year(), &mut issues);
    check_attributes(schema, &mut n, &mut issues);
    check_attachments(schema, &n, &mut issues);
    if schema.requires("consent") && !n.consent {
        issues.push(required("consent"));
    }
    check_received_at(&n, now, &mut issues);

    let (title, title_pii) = pii::mask(&n.title);
    let (description, description_pii) = pii::mask(&n.description);
    issues.extend(title_pii.iter().map(|f| pii::issue("title", f.kind)));
    issues.extend(description_pii.iter().map(|f| pii::issue("description", f.kind)));

    let redirect = screening::screen(&n.title, &n.description).map(|(redirect, keyword)| {
        issues.push(messages::warning(
            "description",
            &format!("scope.redirect.{}", redirect.to),
            format!("{}（识别到“{keyword}”）", redirect.message.zh_cn),
            format!("{} (found \u{201c}{keyword}\u{201d})", redirect.message.en),
        ));
        redirect
    });

    let fingerprint = fingerprint(&n);
    let valid = redirect.is_none() && !issues.iter().any(|i| i.severity == Severity::Error);
    Ok(ValidationResult { valid, issues, normalized: n, masked: Masked { title, description }, redirect, fingerprint })
}

fn check_place(schema: &Schema, n: &mut CaseForm, issues: &mut Vec<Issue>) {
    let district = minyi_model::divisions::district(&n.district);
    if n.district.is_empty() {
        issues.push(required("district"));
    } else if district.is_none() {
        issues.push(messages::error(
            "district",
            "district.unknown",
            format!("未知的区代码“{}”。", n.district),
            format!("Unknown district code {:?}.", n.district),
        ));
    } else if let Some(own) = &schema.district
        && *own != n.district
    {
        issues.push(messages::error(
            "district",
            "district.schema_mismatch",
            format!("该表单属于区代码 {own}，不能受理区代码 {} 的诉求。", n.district),
            format!("This form is for district {own}; it cannot take a demand for district {}.", n.district),
        ));
    }
    if let Some(street) = n.street.clone() {
        match minyi_model::divisions::street(&street) {
            Some((d, _)) if d.code == n.district || district.is_none() => {}
            Some((d, s)) => issues.push(messages::error(
                "street",
                "street.outside_district",
                format!("{}不属于所选的区（它属于{}）。", s.name, d.name),
                format!("Street {} does not belong to the selected district (it belongs to {}).", s.code, d.code),
            )),
            None => issues.push(messages::error(
                "street",
                "street.unknown",
                format!("未知的街道（乡镇）代码“{street}”。"),
                format!("Unknown street (township) code {street:?}."),
            )),
        }
    }
    if n.address.is_empty() {
        if schema.requires("street") && n.street.is_none() {
            issues.push(required("street"));
        }
        return;
    }
    let r = address::resolve(&n.address, district.map(|d| d.code));
    if let (Some(named), Some(chosen)) = (r.districts.first(), district)
        && named.code != chosen.code
    {
        issues.push(messages::error(
            "address",
            "address.district_mismatch",
            format!("地址写的是{}，但所选的区是{}。", named.name, chosen.name),
            format!("The address is in {} ({}) but the selected district is {}.", named.code, named.name, chosen.code),
        ));
        return;
    }
    match (r.streets.as_slice(), &n.street) {
        ([(_, s)], None) => n.street = Some(s.code.to_owned()),
        ([(_, s)], Some(given)) if s.code != given => issues.push(messages::warning(
            "street",
            "address.street_mismatch",
            format!("地址像是在{}，与所选街道不一致，请核对。", s.name),
            format!("The address looks like {} ({}), not the selected street; please check.", s.code, s.name),
        )),
        ([], None) => issues.push(messages::warning(
            "address",
            "address.street_unresolved",
            "无法从地址判断所在街道（乡镇），请补充街道名称或选择街道。",
            "The street (township) cannot be told from the address; add the street name or choose the street.",
        )),
        (many, None) if many.len() > 1 => {
            let zh: Vec<String> = many.iter().map(|(d, s)| format!("{}{}（{}）", d.name, s.name, s.code)).collect();
            let en: Vec<&str> = many.iter().map(|(_, s)| s.code).collect();
            issues.push(messages::warning(
                "address",
                "address.ambiguous",
                format!("地址可能指以下街道：{}，请选择其一。", zh.join("、")),
                format!("The address may mean any of these streets: {}; please choose one.", en.join(", ")),
            ));
        }
        _ => {}
    }
    if schema.requires("street") && n.street.is_none() {
        issues.push(required("street"));
    }
}

fn check_category(schema: &Schema, n: &CaseForm, issues: &mut Vec<Issue>) {
    match n.category.as_deref() {
        None if schema.requires("category") => issues.push(required("category")),
        None => {}
        Some(code) => match categories::get(code) {
            Some(c) if c.level == 3 => {}
            Some(c) => issues.push(messages::error(
                "category",
                "category.not_leaf",
                format!("“{}”是大类，请选择具体的小类。", c.zh_cn),
                format!("{:?} ({}) is a group; choose one of its sub-categories.", c.code, c.en),
            )),
            None => issues.push(messages::error(
                "category",
                "category.unknown",
                format!("未知的诉求分类“{code}”。"),
                format!("Unknown category {code:?}."),
            )),
        },
    }
}

/// Requiredness and length checks of a free-text field, counted in characters.
fn text_issue(schema: &Schema, field: &str, value: &str) -> Option<Issue> {
    let len = value.chars().count();
    let (label_zh, label_en) = label(field);
    let (min, max) = schema.length(field);
    if len == 0 {
        return schema.requires(field).then(|| required(field));
    }
    if len < min as usize {
        Some(messages::error(
            field,
            &format!("{}.too_short", field.rsplit('.').next().unwrap_or(field)),
            format!("{label_zh}太短：请至少写 {min} 个字。"),
            format!("The {label_en} is too short: write at least {min} characters."),
        ))
    } else if len > max as usize {
        Some(messages::error(
            field,
            &format!("{}.too_long", field.rsplit('.').next().unwrap_or(field)),
            format!("{label_zh}太长：最多 {max} 个字，现在有 {len} 个字。"),
            format!("The {label_en} is too long: at most {max} characters, it has {len}."),
        ))
    } else {
        None
    }
}

fn check_location(schema: &Schema, n: &CaseForm, issues: &mut Vec<Issue>) {
    match n.location {
        None if schema.requires("location") => issues.push(required("location")),
        None => {}
        Some(l) if !l.lat.is_finite() || !l.lon.is_finite() || l.lat.abs() > 90.0 || l.lon.abs() > 180.0 => issues
            .push(messages::error(
                "location",
                "location.invalid",
                "位置坐标无效。",
                "The location is not a valid coordinate.",
            )),
        Some(l) if !(LAT.0..=LAT.1).contains(&l.lat) || !(LON.0..=LON.1).contains(&l.lon) => {
            issues.push(messages::warning(
                "location",
                "location.outside_beijing",
                "位置不在北京市范围内，请核对。",
                "The location is outside Beijing; please check.",
            ))
        }
        Some(_) => {}
    }
}

fn check_reporter(schema: &Schema, n: &mut CaseForm, year: i32, issues: &mut Vec<Issue>) {
    let mut r = n.reporter.clone().unwrap_or_default();
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    for (field, value) in [
        ("reporter.name", &r.name),
        ("reporter.phone", &r.phone),
        ("reporter.id_number", &r.id_number),
        ("reporter.email", &r.email),
    ] {
        if schema.requires(field) && !present(value) {
            issues.push(required(field));
        }
    }
    if let Some(name) = r.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        issues.extend(text_issue(schema, "reporter.name", name));
        r.name = Some(name.to_owned());
    }
    if let Some(raw) = r.phone.clone().filter(|s| !s.trim().is_empty()) {
        match check_phone("reporter.phone", &raw) {
            Ok(p) => r.phone = Some(p.as_str().to_owned()),
            Err(issue) => issues.push(issue),
        }
    }
    if let Some(raw) = r.id_number.clone().filter(|s| !s.trim().is_empty()) {
        match check_id_number(&raw, year) {
            Ok(id) => r.id_number = Some(id),
            Err(problem) => issues.push(id_issue(problem)),
        }
    }
    if let Some(email) = r.email.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let ok = email.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !d.contains('@')
        }) && !email.chars().any(char::is_whitespace);
        if ok {
            r.email = Some(email.to_ascii_lowercase());
        } else {
            issues.push(messages::error(
                "reporter.email",
                "email.invalid",
                "电子邮箱格式不正确。",
                "The e-mail address is not valid.",
            ));
        }
    }
    n.reporter = Some(r);
}

fn id_issue(problem: IdProblem) -> Issue {
    let (code, zh, en) = match problem {
        IdProblem::Format => (
            "id_number.format",
            "身份证号码应为 18 位：17 位数字加一位数字或 X。",
            "A resident ID number has 18 characters: 17 digits and a digit or X.",
        ),
        IdProblem::Checksum => (
            "id_number.checksum",
            "身份证号码校验位不正确，请核对。",
            "The resident ID number's check digit is wrong; please check the number.",
        ),
        IdProblem::BirthDate => (
            "id_number.birth_date",
            "身份证号码中的出生日期不正确。",
            "The birth date inside the resident ID number is not valid.",
        ),
    };
    messages::error("reporter.id_number", code, zh, en)
}

fn check_attributes(schema: &Schema, n: &mut CaseForm, issues: &mut Vec<Issue>) {
    let category = n.category.clone().unwrap_or_default();
    let applicable: Vec<_> = schema.attributes.iter().filter(|a| a.applies_to(&category)).collect();
    for a in &applicable {
        let field = format!("attributes.{}", a.code);
        let value = n.attributes.get(&a.code).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let Some(value) = value else {
            if a.required {
                issues.push(messages::error(
                    &field,
                    "attribute.required",
                    format!("请填写{}。", a.label.zh_cn),
                    format!("Please enter the {}.", a.label.en.to_lowercase()),
                ));
            }
            continue;
        };
        let bad = |zh: String, en: String| {
            messages::error(
                &field,
                "attribute.invalid",
                format!("{}：{zh}", a.label.zh_cn),
                format!("{}: {en}", a.label.en),
            )
        };
        match a.datatype {
            Datatype::Number => match value.parse::<f64>() {
                Ok(x) if x.is_finite() => {
                    if a.min.is_some_and(|m| x < m) || a.max.is_some_and(|m| x > m) {
                        let (lo, hi) =
                            (a.min.map_or("-∞".into(), |m| m.to_string()), a.max.map_or("∞".into(), |m| m.to_string()));
                        issues
                            .push(bad(format!("应在 {lo} 到 {hi} 之间。"), format!("must be between {lo} and {hi}.")));
                    }
                }
                _ => issues.push(bad("请填写数字。".into(), "enter a number.".into())),
            },
            Datatype::Datetime => {
                if DateTime::parse_from_rfc3339(&value).is_err() {
                    issues.push(bad("时间格式不正确。".into(), "enter a date and time (RFC 3339).".into()));
                }
            }
            Datatype::String | Datatype::Text => {
                let max = a.max.unwrap_or(if a.datatype == Datatype::String { 255.0 } else { 2000.0 });
                let len = value.chars().count();
                if len as f64 > max {
                    issues.push(bad(
                        format!("最多 {max} 个字，现在有 {len} 个字。"),
                        format!("at most {max} characters, it has {len}."),
                    ));
                }
            }
            Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                let picked: Vec<&str> = value.split([',', '，']).map(str::trim).filter(|s| !s.is_empty()).collect();
                let keys: Vec<&str> = a.values.iter().map(|v| v.key.as_str()).collect();
                let unknown: Vec<&str> = picked.iter().copied().filter(|p| !keys.contains(p)).collect();
                if !unknown.is_empty() {
                    issues.push(bad(
                        format!("“{}”不是可选项。", unknown.join("、")),
                        format!("{unknown:?} is not one of {keys:?}."),
                    ));
                } else if a.datatype == Datatype::Singlevaluelist && picked.len() > 1 {
                    issues.push(bad("只能选择一项。".into(), "choose only one.".into()));
                }
            }
        }
        n.attributes.insert(a.code.clone(), value);
    }
    for key in n.attributes.keys() {
        if !applicable.iter().any(|a| a.code == *key) {
            issues.push(messages::warning(
                &format!("attributes.{key}"),
                "attribute.unknown",
                format!("该分类没有“{key}”这一项，将被忽略。"),
                format!("The category has no attribute {key:?}; it will be ignored."),
            ));
        }
    }
}

fn check_attachments(schema: &Schema, n: &CaseForm, issues: &mut Vec<Issue>) {
    let limits = &schema.attachments;
    if n.attachments.len() > limits.max_count as usize {
        issues.push(messages::error(
            "attachments",
            "attachments.too_many",
            format!("最多上传 {} 个附件，现在有 {} 个。", limits.max_count, n.attachments.len()),
            format!("At most {} attachments, there are {}.", limits.max_count, n.attachments.len()),
        ));
    }
    for (i, a) in n.attachments.iter().enumerate() {
        let field = format!("attachments[{i}]");
        if a.bytes > limits.max_bytes {
            let mib = |b: u64| b as f64 / 1_048_576.0;
            issues.push(messages::error(
                &field,
                "attachment.too_large",
                format!("附件“{}”太大：最大 {:.0} MB，它有 {:.1} MB。", a.name, mib(limits.max_bytes), mib(a.bytes)),
                format!(
                    "Attachment {:?} is too large: at most {:.0} MB, it has {:.1} MB.",
                    a.name,
                    mib(limits.max_bytes),
                    mib(a.bytes)
                ),
            ));
        }
        if !limits.mime.is_empty() && !limits.mime.iter().any(|m| m.eq_ignore_ascii_case(a.mime.trim())) {
            issues.push(messages::error(
                &field,
                "attachment.type",
                format!("不支持附件“{}”的文件类型（{}）。", a.name, a.mime),
                format!("Attachment {:?} has an unsupported type ({}).", a.name, a.mime),
            ));
        }
    }
}

fn check_received_at(n: &CaseForm, now: DateTime<FixedOffset>, issues: &mut Vec<Issue>) {
    match DateTime::parse_from_rfc3339(n.received_at.trim()) {
        Err(_) => issues.push(messages::error(
            "received_at",
            "received_at.invalid",
            "受理时间格式不正确（应为 RFC 3339，如 2026-11-29T10:00:00+08:00）。",
            "The receipt time is not an RFC 3339 timestamp (e.g. 2026-11-29T10:00:00+08:00).",
        )),
        Ok(t) if (t - now).num_seconds() > FUTURE_SKEW_SECONDS => issues.push(messages::error(
            "received_at",
            "received_at.future",
            "受理时间晚于当前时间。",
            "The receipt time is in the future.",
        )),
        Ok(_) => {}
    }
}

/// Stable repeat-finding key: FNV-1a 64 over the normalised phone, street and category leaf.
fn fingerprint(form: &CaseForm) -> String {
    let phone = form.reporter.as_ref().and_then(|r| r.phone.as_deref()).unwrap_or("");
    let street = form.street.as_deref().unwrap_or("");
    let category = form.category.as_deref().unwrap_or("");
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in [phone, street, category].join("|").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Validates one field's value as the citizen types. Field paths are those of the case-form shape.
pub fn validate_field(field: &str, value: &str) -> Vec<Issue> {
    let schema = schema::beijing();
    match field {
        "reporter.phone" => match value.trim() {
            "" => vec![required(field)],
            v => check_phone(field, v).err().into_iter().collect(),
        },
        // Birth years after 9999 cannot occur; the whole-form check bounds it by `now`.
        "reporter.id_number" => check_id_number(value, 9999).err().map(id_issue).into_iter().collect(),
        "title" | "description" | "address" => text_issue(&schema, field, value.trim()).into_iter().collect(),
        _ => vec![messages::error(
            field,
            "field.unknown",
            format!("无法单独校验字段“{field}”。"),
            format!("The field {field:?} cannot be validated on its own."),
        )],
    }
}
