//! Table-driven tests of whole-form validation: one edit of a good form, the exact issues it must give.

use crate::{schema, validate, validate_field, validate_with};
use minyi_model::{Attachment, CaseForm, Channel, Kind, Location, Reporter};

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
        location: Some(Location { lat: 39.99, lon: 116.47 }),
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

type Edit = fn(&mut CaseForm);

/// Each edit of the good form and exactly the issues it must produce.
fn check(cases: Vec<(Edit, &[&str])>) {
    for (edit, expect) in cases {
        let mut f = form();
        edit(&mut f);
        assert_eq!(codes(&f), expect, "for {f:?}");
    }
}

#[test]
fn a_good_form_is_valid_and_normalised() {
    let r = validate(&form(), NOW).expect("valid now");
    assert!(r.valid, "{:?}", r.issues);
    assert_eq!(r.normalized.reporter.and_then(|p| p.phone).as_deref(), Some("13800138000"));
    assert_eq!(r.fingerprint.len(), 16);
    assert!(r.redirect.is_none());
}

#[test]
fn place_category_and_text() {
    check(vec![
        (|f| f.district = "".into(), &["district:district.required"][..]),
        (|f| f.district = "990000".into(), &["district:district.unknown"]),
        (
            |f| f.street = Some("110101001".into()),
            &["street:street.outside_district", "street:address.street_mismatch"],
        ),
        (|f| f.street = Some("110105999".into()), &["street:street.unknown", "street:address.street_mismatch"]),
        (|f| f.address = "海淀区中关村大街1号".into(), &["address:address.district_mismatch"]),
        (|f| f.category = None, &["category:category.required"]),
        (|f| f.category = Some("urban.sanitation".into()), &["category:category.not_leaf"]),
        (|f| f.category = Some("urban.sanitation.unicorns".into()), &["category:category.unknown"]),
        (|f| f.title = "  ".into(), &["title:title.required"]),
        (|f| f.title = "垃".into(), &["title:title.too_short"]),
        (|f| f.title = "长".repeat(101), &["title:title.too_long"]),
        (|f| f.description = "太短".into(), &["description:description.too_short"]),
        (|f| f.address = "".into(), &["address:address.required"]),
        (|f| f.location = Some(Location { lat: 31.2, lon: 121.5 }), &["location:location.outside_beijing"]),
        (|f| f.location = Some(Location { lat: f64::NAN, lon: 0.0 }), &["location:location.invalid"]),
    ]);
}

#[test]
fn address_resolution_fills_the_street() {
    let mut f = form();
    f.street = None;
    f.address = "朝阳 望京西园三区".into();
    let r = validate(&f, NOW).expect("valid now");
    assert_eq!(r.normalized.street.as_deref(), Some("110105026"));
    f.address = "八里庄北里5号".into();
    let r = validate(&f, NOW).expect("valid now");
    assert_eq!(r.normalized.street.as_deref(), Some("110105015"), "the district narrows 八里庄 to 朝阳's");
    f.district = "".into();
    let r = validate(&f, NOW).expect("valid now");
    let ambiguous = r.issues.iter().find(|i| i.code == "address.ambiguous").expect("ambiguous");
    assert!(
        ambiguous.message.zh_cn.contains("朝阳区八里庄街道") && ambiguous.message.zh_cn.contains("海淀区八里庄街道")
    );
}

#[test]
fn reporter_consent_and_time() {
    check(vec![
        (|f| f.reporter = None, &["reporter.phone:phone.required"][..]),
        (
            |f| f.reporter = Some(Reporter { phone: Some("12345".into()), ..Reporter::default() }),
            &["reporter.phone:phone.invalid"],
        ),
        (
            |f| {
                f.reporter = Some(Reporter {
                    phone: Some("13800138000".into()),
                    id_number: Some("110105194912310021".into()),
                    ..Reporter::default()
                })
            },
            &["reporter.id_number:id_number.checksum"],
        ),
        (
            |f| {
                f.reporter = Some(Reporter {
                    phone: Some("13800138000".into()),
                    email: Some("a@b".into()),
                    ..Reporter::default()
                })
            },
            &["reporter.email:email.invalid"],
        ),
        (|f| f.consent = false, &["consent:consent.required"]),
        (|f| f.received_at = "yesterday".into(), &["received_at:received_at.invalid"]),
        (|f| f.received_at = "2026-11-30T10:00:00+08:00".into(), &["received_at:received_at.future"]),
    ]);
}

#[test]
fn attributes_and_attachments() {
    check(vec![
        (
            |f| f.category = Some("utilities.heating.low_temperature".into()),
            &["attributes.room_temperature:attribute.required"][..],
        ),
        (
            |f| {
                f.category = Some("utilities.heating.low_temperature".into());
                f.attributes.insert("room_temperature".into(), "十二".into());
            },
            &["attributes.room_temperature:attribute.invalid"],
        ),
        (
            |f| {
                f.category = Some("utilities.heating.low_temperature".into());
                f.attributes.insert("room_temperature".into(), "99".into());
            },
            &["attributes.room_temperature:attribute.invalid"],
        ),
        (
            |f| {
                f.category = Some("environment.noise.neighbours".into());
                f.attributes.insert("noise_period".into(), "night,day".into());
            },
            &["attributes.noise_period:attribute.invalid"],
        ),
        (
            |f| {
                f.category = Some("utilities.water.outage".into());
                f.attributes.insert("affected".into(), "building，community".into());
                f.attributes.insert("outage_since".into(), "2026-11-29T06:00:00+08:00".into());
            },
            &[],
        ),
        (
            |f| {
                f.attributes.insert("colour".into(), "red".into());
            },
            &["attributes.colour:attribute.unknown"],
        ),
        (
            |f| {
                f.attachments =
                    vec![Attachment { name: "a.exe".into(), mime: "application/x-msdownload".into(), bytes: 30 << 20 }]
            },
            &["attachments[0]:attachment.too_large", "attachments[0]:attachment.type"],
        ),
        (
            |f| {
                f.attachments = (0..10)
                    .map(|i| Attachment { name: format!("{i}.jpg"), mime: "image/jpeg".into(), bytes: 1000 })
                    .collect()
            },
            &["attachments:attachments.too_many"],
        ),
    ]);
}

#[test]
fn screening_and_masking() {
    check(vec![
        (|f| f.description = "我的电话是13912345678，请回电。".into(), &["description:pii.phone"][..]),
        (|f| f.description = "银行卡号4111 1111 1111 1111被扣款，请核查。".into(), &["description:pii.bank_card"]),
        (|f| f.description = "楼下饭馆着火了，火势很大，快来人！".into(), &["description:scope.redirect.119"]),
    ]);
    let mut f = form();
    f.description = "楼下饭馆着火了，火势很大，快来人！".into();
    let r = validate(&f, NOW).expect("valid now");
    assert!(!r.valid, "a redirect is not a case");
    assert_eq!(r.redirect.map(|d| d.to).as_deref(), Some("119"));
}

#[test]
fn district_schemas() {
    let mut f = form();
    f.district = "110108".into();
    f.street = None;
    f.address = "海淀区八里庄街道某小区".into();
    f.category = Some("housing.property.leaks".into());
    let r = validate(&f, NOW).expect("valid now");
    let codes: Vec<_> = r.issues.iter().map(|i| format!("{}:{}", i.field, i.code)).collect();
    assert_eq!(codes, vec!["attributes.building_no:attribute.required"], "海淀 requires a building number");
    f.attributes.insert("building_no".into(), "3".into());
    assert!(validate(&f, NOW).expect("valid now").valid);
    // The same form under Beijing's default schema needs no building number.
    f.attributes.clear();
    assert!(validate_with(&schema::beijing(), &f, NOW).expect("valid now").valid);
}

#[test]
fn fingerprint_finds_repeats_whatever_the_notation() {
    let fp = |edit: Edit| {
        let mut f = form();
        edit(&mut f);
        validate(&f, NOW).expect("valid now").fingerprint
    };
    let base = fp(|_| {});
    // Same reporter, street and category leaf, written differently: the same key.
    assert_eq!(
        fp(|f| f.reporter = Some(Reporter { phone: Some("+86 138-0013-8000".into()), ..Reporter::default() })),
        base
    );
    assert_eq!(
        fp(|f| f.reporter =
            Some(Reporter { phone: Some("１３８００１３８０００".into()), ..Reporter::default() })),
        base
    );
    assert_eq!(fp(|f| f.street = None), base, "the street resolved from the address counts");
    assert_eq!(fp(|f| f.title = "另一个标题".into()), base, "the text does not matter");
    // A different reporter, street or category: a different key.
    assert_ne!(fp(|f| f.reporter = Some(Reporter { phone: Some("13900139000".into()), ..Reporter::default() })), base);
    assert_ne!(fp(|f| f.category = Some("urban.sanitation.sorting".into())), base);
    assert_ne!(
        fp(|f| {
            f.street = Some("110105015".into());
            f.address = "朝阳区八里庄街道某小区".into();
        }),
        base
    );
}

#[test]
fn description_length_counts_characters_not_bytes() {
    let mut f = form();
    f.description = "垃".repeat(2000); // 6000 bytes, 2000 characters
    assert!(codes(&f).is_empty());
    f.description.push('圾');
    assert_eq!(codes(&f), vec!["description:description.too_long".to_owned()]);
}

#[test]
fn malformed_now_is_an_input_error() {
    assert_eq!(validate(&form(), "now").err(), Some(crate::InputError::Now("now".into())));
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
    fn never_panics_on_any_text(title in ".{0,200}", description in "[0-9 \\-*xX×一-龥a-z]{0,300}", phone in ".{0,20}", address in ".{0,40}") {
        let mut f = form();
        f.title = title;
        f.description = description;
        f.address = address;
        f.reporter = Some(Reporter { phone: Some(phone.clone()), id_number: Some(phone), ..Reporter::default() });
        let r = validate(&f, NOW);
        proptest::prop_assert!(r.is_ok());
    }
}
