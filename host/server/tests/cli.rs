//! `minyi validate` end to end: the real binary, real component bytes, the public JSON shapes and exit codes;
//! and the docs of `host/server/docs/`, every command run as written (`docs`).

#[path = "crash/mod.rs"]
mod crash;
#[path = "docs/mod.rs"]
mod docs;

use std::process::Command;

const NOW: &str = "2026-11-29T10:05:00+08:00";

fn form(phone: &str) -> String {
    format!(
        r#"{{"district":"110105","street":"110105026","channel":"web","kind":"complaint",
            "category":"urban.sanitation.garbage","title":"小区垃圾三天没人清运",
            "description":"望京西园三区3号楼下的垃圾桶满了三天。","address":"朝阳区望京街道望京西园三区",
            "reporter":{{"phone":"{phone}"}},"consent":true,"received_at":"2026-11-29T10:00:00+08:00"}}"#
    )
}

fn validate(contents: &str) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("form.json");
    std::fs::write(&path, contents).expect("write form");
    let out = Command::new(env!("CARGO_BIN_EXE_minyi"))
        .args(["validate", "--now", NOW])
        .arg(&path)
        .env("RUST_LOG", "warn")
        .output()
        .expect("minyi runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn valid_form_exits_0_with_the_result_shape() {
    let (code, v, _) = validate(&form("138 0013 8000"));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["normalized"]["reporter"]["phone"], "13800138000");
    assert_eq!(v["redirect"], serde_json::Value::Null);
    assert!(v["fingerprint"].as_str().is_some_and(|f| f.len() == 16));
    assert!(v["masked"]["title"].is_string());
}

#[test]
fn invalid_form_exits_1_naming_the_field() {
    let (code, v, _) = validate(&form("12345"));
    assert_eq!(code, 1);
    assert_eq!(v["valid"], false);
    let issue = &v["issues"][0];
    assert_eq!((issue["field"].as_str(), issue["code"].as_str()), (Some("reporter.phone"), Some("phone.invalid")));
    assert_eq!(issue["severity"], "error");
    assert!(issue["message"]["zh-CN"].as_str().is_some_and(|m| m.contains("电话号码")));
    assert!(issue["message"]["en"].as_str().is_some_and(|m| m.contains("phone number")));
}

#[test]
fn unusable_input_exits_2_with_the_reason() {
    let (code, _, stderr) = validate("{\"district\": 42}");
    assert_eq!(code, 2);
    assert!(stderr.contains("json.invalid") && stderr.contains("district"), "{stderr}");

    let out =
        Command::new(env!("CARGO_BIN_EXE_minyi")).args(["validate", "/no/such/form.json"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/form.json"));
}

fn run(args: &[&str], form: &str, schema: Option<&str>) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("form.json");
    std::fs::write(&path, form).expect("write form");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minyi"));
    cmd.args(["validate", "--now", NOW]).args(args).env("RUST_LOG", "warn");
    if let Some(schema) = schema {
        let s = dir.path().join("schema.toml");
        std::fs::write(&s, schema).expect("write schema");
        cmd.arg("--schema").arg(s);
    }
    let out = cmd.arg(&path).output().expect("minyi runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn district_option_selects_the_district_schema() {
    let form = form("13800138000")
        .replace(r#""district":"110105","street":"110105026","#, "")
        .replace("urban.sanitation.garbage", "housing.property.leaks")
        .replace("朝阳区望京街道望京西园三区", "海淀区八里庄街道某小区");
    let (code, v, err) = run(&["--district", "110108"], &form, None);
    assert_eq!(code, 1, "{v} {err}");
    assert_eq!(v["normalized"]["district"], "110108");
    assert_eq!(v["normalized"]["street"], "110108005");
    assert_eq!(v["issues"][0]["field"], "attributes.building_no", "海淀's schema requires it: {v}");
    let (code, _, err) = run(&["--district", "110101"], &self::form("13800138000"), None);
    assert_eq!(code, 2);
    assert!(err.contains("district.conflict"), "{err}");
}

#[test]
fn schema_option_reports_schema_errors_with_place() {
    let bad = "[schema]\nname = \"x\"\ndistrict = \"*\"\n[required]\nfields = [\"colour\"]\n";
    let (code, _, err) = run(&[], &form("13800138000"), Some(bad));
    assert_eq!(code, 2);
    assert!(err.contains("schema.toml:5:11: required.fields: \"colour\""), "{err}");
    let good = "[schema]\nname = \"x\"\ndistrict = \"*\"\nextends = \"beijing\"\n[lengths]\ntitle = { max = 5 }\n";
    let (code, v, _) = run(&[], &form("13800138000"), Some(good));
    assert_eq!(code, 1);
    assert_eq!(v["issues"][0]["code"], "title.too_long");
}
