//! Whole-form and single-field validation against the built-in Beijing schema.

use crate::id_number::{IdProblem, check_id_number};
use crate::phone::check_phone;
use crate::{InputError, messages, pii};
use chrono::{DateTime, Datelike, FixedOffset};
use minyi_model::{CaseForm, Issue, Masked, Severity, ValidationResult, divisions};

/// Longest title, in characters.
const TITLE_MAX: usize = 100;
/// Shortest and longest description, in characters (not bytes).
const DESCRIPTION_MIN: usize = 5;
const DESCRIPTION_MAX: usize = 2000;
/// How far `received_at` may run ahead of `now` (clock skew between intake devices).
const FUTURE_SKEW_SECONDS: i64 = 300;

fn parse_now(now: &str) -> Result<DateTime<FixedOffset>, InputError> {
    DateTime::parse_from_rfc3339(now).map_err(|_| InputError::Now(now.to_owned()))
}

/// Validates a whole form. `now` is an RFC 3339 timestamp: the time of validation.
pub fn validate(form: &CaseForm, now: &str) -> Result<ValidationResult, InputError> {
    let now = parse_now(now)?;
    let mut issues = Vec::new();
    let mut normalized = form.clone();

    check_place(form, &mut issues);
    check_text(form, &mut issues);
    check_reporter(form, &mut normalized, now.year(), &mut issues);
    check_received_at(form, now, &mut issues);
    if !form.consent {
        issues.push(messages::error(
            "consent",
            "consent.required",
            "请同意个人信息处理说明后再提交。",
            "Please agree to the processing of your personal data before submitting.",
        ));
    }
    normalized.title = form.title.trim().to_owned();
    normalized.description = form.description.trim().to_owned();
    normalized.address = form.address.trim().to_owned();

    let (title, title_pii) = pii::mask(&normalized.title);
    let (description, description_pii) = pii::mask(&normalized.description);
    issues.extend(title_pii.into_iter().map(|k| pii::issue("title", k)));
    issues.extend(description_pii.into_iter().map(|k| pii::issue("description", k)));

    let fingerprint = fingerprint(&normalized);
    let valid = !issues.iter().any(|i| i.severity == Severity::Error);
    Ok(ValidationResult {
        valid,
        issues,
        normalized,
        masked: Masked { title, description },
        redirect: None,
        fingerprint,
    })
}

fn check_place(form: &CaseForm, issues: &mut Vec<Issue>) {
    if form.district.trim().is_empty() {
        issues.push(messages::required("district", "所在区", "district"));
    } else if divisions::district(form.district.trim()).is_none() {
        issues.push(messages::error(
            "district",
            "district.unknown",
            format!("未知的区代码“{}”。", form.district),
            format!("Unknown district code {:?}.", form.district),
        ));
    } else if let Some(street) = &form.street {
        match divisions::street(street.trim()) {
            Some((d, _)) if d.code == form.district.trim() => {}
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
    if form.address.trim().is_empty() {
        issues.push(messages::required("address", "地址", "address"));
    }
}

fn check_text(form: &CaseForm, issues: &mut Vec<Issue>) {
    issues.extend(text_issues("title", &form.title));
    issues.extend(text_issues("description", &form.description));
}

/// Length checks of a free-text field, counted in characters.
fn text_issues(field: &str, value: &str) -> Option<Issue> {
    let len = value.trim().chars().count();
    let (label_zh, label_en, min, max) = match field {
        "title" => ("标题", "title", 1, TITLE_MAX),
        _ => ("诉求内容", "description", DESCRIPTION_MIN, DESCRIPTION_MAX),
    };
    if len == 0 {
        Some(messages::required(field, label_zh, label_en))
    } else if len < min {
        Some(messages::error(
            field,
            &format!("{field}.too_short"),
            format!("{label_zh}太短：请至少写 {min} 个字。"),
            format!("The {label_en} is too short: write at least {min} characters."),
        ))
    } else if len > max {
        Some(messages::error(
            field,
            &format!("{field}.too_long"),
            format!("{label_zh}太长：最多 {max} 个字，现在有 {len} 个字。"),
            format!("The {label_en} is too long: at most {max} characters, it has {len}."),
        ))
    } else {
        None
    }
}

fn check_reporter(form: &CaseForm, normalized: &mut CaseForm, year: i32, issues: &mut Vec<Issue>) {
    let reporter = form.reporter.clone().unwrap_or_default();
    let mut norm = reporter.clone();
    match reporter.phone.as_deref().map(str::trim) {
        None | Some("") => issues.push(messages::required("reporter.phone", "联系电话", "phone number")),
        Some(raw) => match check_phone("reporter.phone", raw) {
            Ok(p) => norm.phone = Some(p.as_str().to_owned()),
            Err(issue) => issues.push(issue),
        },
    }
    if let Some(raw) = reporter.id_number.as_deref().filter(|s| !s.trim().is_empty()) {
        match check_id_number(raw, year) {
            Ok(id) => norm.id_number = Some(id),
            Err(problem) => issues.push(id_issue(problem)),
        }
    }
    if let Some(email) = reporter.email.as_deref().filter(|s| !s.trim().is_empty()) {
        let email = email.trim();
        let ok = email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
            && !email.chars().any(char::is_whitespace);
        if ok {
            norm.email = Some(email.to_ascii_lowercase());
        } else {
            issues.push(messages::error(
                "reporter.email",
                "email.invalid",
                "电子邮箱格式不正确。",
                "The e-mail address is not valid.",
            ));
        }
    }
    normalized.reporter = Some(norm);
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

fn check_received_at(form: &CaseForm, now: DateTime<FixedOffset>, issues: &mut Vec<Issue>) {
    match DateTime::parse_from_rfc3339(form.received_at.trim()) {
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

/// Stable repeat-finding key: FNV-1a 64 over the normalised phone, street and category.
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
    match field {
        "reporter.phone" => match value.trim() {
            "" => vec![messages::required(field, "联系电话", "phone number")],
            v => check_phone(field, v).err().into_iter().collect(),
        },
        // Birth years after 9999 cannot occur; the whole-form check bounds it by `now`.
        "reporter.id_number" => check_id_number(value, 9999).err().map(id_issue).into_iter().collect(),
        "title" | "description" => text_issues(field, value).into_iter().collect(),
        _ => vec![messages::error(
            field,
            "field.unknown",
            format!("无法单独校验字段“{field}”。"),
            format!("The field {field:?} cannot be validated on its own."),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minyi_model::{Channel, Kind, Reporter};

    const NOW: &str = "2026-11-29T10:05:00+08:00";

    fn form() -> CaseForm {
        CaseForm {
            district: "110105".into(),
            street: Some("110105026".into()),
            channel: Channel::Web,
            kind: Kind::Complaint,
            category: Some("urban.sanitation.garbage".into()),
            title: "小区垃圾三天没人清运".into(),
            description: "望京西园三区3号楼下的垃圾桶已经满了三天，没有人来清运。".into(),
            address: "朝阳区望京街道望京西园三区3号楼".into(),
            location: None,
            reporter: Some(Reporter { phone: Some("138 0013 8000".into()), ..Reporter::default() }),
            attributes: Default::default(),
            attachments: vec![],
            consent: true,
            received_at: "2026-11-29T10:00:00+08:00".into(),
        }
    }

    fn codes(f: &CaseForm) -> Vec<String> {
        let r = validate(f, NOW).expect("NOW is valid");
        r.issues.into_iter().map(|i| format!("{}:{}", i.field, i.code)).collect()
    }

    #[test]
    fn a_good_form_is_valid_and_normalised() {
        let r = validate(&form(), NOW).expect("valid now");
        assert!(r.valid, "{:?}", r.issues);
        assert_eq!(r.normalized.reporter.and_then(|p| p.phone).as_deref(), Some("13800138000"));
        assert_eq!(r.fingerprint.len(), 16);
    }

    #[test]
    fn each_check_names_its_field() {
        type Edit = fn(&mut CaseForm);
        let cases: Vec<(Edit, &str)> = vec![
            (|f| f.district = "".into(), "district:district.required"),
            (|f| f.district = "990000".into(), "district:district.unknown"),
            (|f| f.street = Some("110101001".into()), "street:street.outside_district"),
            (|f| f.street = Some("110105999".into()), "street:street.unknown"),
            (|f| f.title = "  ".into(), "title:title.required"),
            (|f| f.title = "长".repeat(101), "title:title.too_long"),
            (|f| f.description = "太短".into(), "description:description.too_short"),
            (|f| f.address = "".into(), "address:address.required"),
            (|f| f.reporter = None, "reporter.phone:phone.required"),
            (
                |f| f.reporter = Some(Reporter { phone: Some("12345".into()), ..Reporter::default() }),
                "reporter.phone:phone.invalid",
            ),
            (
                |f| {
                    f.reporter = Some(Reporter {
                        phone: Some("13800138000".into()),
                        id_number: Some("110105194912310021".into()),
                        ..Reporter::default()
                    })
                },
                "reporter.id_number:id_number.checksum",
            ),
            (
                |f| {
                    f.reporter = Some(Reporter {
                        phone: Some("13800138000".into()),
                        email: Some("a@b".into()),
                        ..Reporter::default()
                    })
                },
                "reporter.email:email.invalid",
            ),
            (|f| f.consent = false, "consent:consent.required"),
            (|f| f.received_at = "yesterday".into(), "received_at:received_at.invalid"),
            (|f| f.received_at = "2026-11-30T10:00:00+08:00".into(), "received_at:received_at.future"),
            (|f| f.description = "我的电话是13912345678，请回电。".into(), "description:pii.phone"),
        ];
        for (edit, expect) in cases {
            let mut f = form();
            edit(&mut f);
            assert_eq!(codes(&f), vec![expect.to_owned()], "expected exactly {expect}");
        }
    }

    #[test]
    fn description_length_counts_characters_not_bytes() {
        let mut f = form();
        f.description = "垃".repeat(DESCRIPTION_MAX); // 6000 bytes, 2000 characters
        assert!(codes(&f).is_empty());
        f.description.push('圾');
        assert_eq!(codes(&f), vec!["description:description.too_long".to_owned()]);
    }

    #[test]
    fn malformed_now_is_an_input_error() {
        assert_eq!(validate(&form(), "now").err(), Some(InputError::Now("now".into())));
    }

    #[test]
    fn field_checks() {
        assert!(validate_field("reporter.phone", "+86 138 0013 8000").is_empty());
        assert_eq!(validate_field("reporter.phone", "1380013")[0].code, "phone.invalid");
        assert_eq!(validate_field("reporter.phone", "")[0].code, "phone.required");
        assert_eq!(validate_field("nope", "x")[0].code, "field.unknown");
        assert!(validate_field("reporter.id_number", "11010519491231002X").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_text(title in ".{0,200}", description in ".{0,300}", phone in ".{0,20}") {
            let mut f = form();
            f.title = title;
            f.description = description;
            f.reporter = Some(Reporter { phone: Some(phone.clone()), id_number: Some(phone), ..Reporter::default() });
            let r = validate(&f, NOW);
            proptest::prop_assert!(r.is_ok());
        }
    }
}
