//! `minyi route`, `minyi rules check|test` and `minyi eval-311` end to end: the real binary, the router
//! component, the shipped rule sets, exit codes and output shapes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn ruleset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../components/routing/rulesets").join(name)
}

fn minyi(args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } =
        Command::new(env!("CARGO_BIN_EXE_minyi")).args(args).env("RUST_LOG", "warn").output().expect("minyi runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn write(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write file");
    path.to_string_lossy().into_owned()
}

const FORM: &str = r#"{"district":"110105","street":"110105026","channel":"hotline","kind":"complaint",
  "category":"utilities.heating.outage","title":"暖气不热","description":"家里暖气从昨天开始就不热了",
  "address":"朝阳区望京西园三区","consent":true,"received_at":"2026-11-29T10:00:00+08:00"}"#;

#[test]
fn route_prints_the_decision_shape_with_its_explanation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let form = write(&dir, "case.json", FORM);
    let rules = ruleset("beijing.toml");
    let (code, out, err) = minyi(&["route", "--rules", &rules.to_string_lossy(), &form]);
    assert_eq!(code, 0, "{err}");
    let d: serde_json::Value = serde_json::from_str(&out).expect("JSON decision");
    assert_eq!(d["lead"], "bj.heating");
    assert_eq!(d["co_handlers"], serde_json::json!(["110105026"]));
    assert_eq!((d["tier"].as_str(), d["priority"].as_u64()), (Some("urgent"), Some(1)));
    assert_eq!(d["deadline"], "2026-11-30T10:00:00+08:00");
    assert_eq!((d["manual"].as_bool(), d["escalate"].as_array().map(Vec::len)), (Some(false), Some(0)));
    assert_eq!(d["explanation"]["fired"][0]["rule"], "heating-season-110105");
    assert!(d["explanation"]["fired"][0]["why"].as_str().is_some_and(|w| w.contains("season 11-15..03-15")));
    assert!(d["explanation"]["near_misses"].is_array());

    let (code, out, _) = minyi(&["route", "--rules", &rules.to_string_lossy(), "--repeat", "6", &form]);
    assert_eq!(code, 0);
    let d: serde_json::Value = serde_json::from_str(&out).expect("JSON decision");
    assert_eq!(d["escalate"], serde_json::json!(["110105.gov"]), "{d}");
}

#[test]
fn route_reports_broken_rules_by_line_and_column_and_bad_forms_by_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let form = write(&dir, "case.json", FORM);
    let rules =
        write(&dir, "r.toml", "[ruleset]\nname = \"x\"\n\n[[rule]]\nid = \"a\"\nthen = { lead = \"nobody\" }\n");
    let (code, _, err) = minyi(&["route", "--rules", &rules, &form]);
    assert_eq!(code, 2);
    assert!(err.contains("r.toml:6:17: error: unknown unit \"nobody\""), "{err}");

    let good = ruleset("beijing.toml");
    let bad_form = write(&dir, "bad.json", "{\"district\": \"110105\", \"kind\": \"rant\"}");
    let (code, _, err) = minyi(&["route", "--rules", &good.to_string_lossy(), &bad_form]);
    assert_eq!(code, 2);
    assert!(err.contains("json.invalid") && err.contains("kind"), "{err}");
}

/// The NYC set is derived, not written: regenerating it from the real requests gives the committed file,
/// so nobody edits it by hand only to have the next regeneration undo the edit.
#[test]
fn the_nyc_rule_set_is_what_its_generator_writes() {
    let Some(csv) = minyi_tests::shared::data("nyc311-sample.csv") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("nyc311.toml");
    let run = minyi_tests::xtask::xtask().args(["nyc-rules", "--csv"]).arg(&csv).arg("--out").arg(&out).output();
    let run = run.expect("cargo xtask runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let regenerated = std::fs::read_to_string(&out).expect("written");
    let committed = std::fs::read_to_string(ruleset("nyc311.toml")).expect("committed");
    assert!(regenerated == committed, "components/routing/rulesets/nyc311.toml differs from `cargo xtask nyc-rules`");
}

#[test]
fn shipped_rule_sets_check_clean_and_their_examples_pass() {
    for name in ["beijing.toml", "nyc311.toml"] {
        let file = ruleset(name);
        let (code, out, err) = minyi(&["rules", "check", &file.to_string_lossy()]);
        assert_eq!(code, 0, "{err}");
        // The only warning a clean set may get: the holiday calendar running out (it depends on today).
        let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
        let calendar = minyi_routing::calendar::Calendar::china().ending_warning(today.date_naive());
        match calendar {
            Some(w) => assert_eq!(err.trim(), format!("warning: {w}"), "{out}"),
            None => assert!(err.is_empty(), "{err}"),
        }
        assert!(out.contains("0 warning(s)"), "{out}{err}");
        let (code, out, err) = minyi(&["rules", "test", &file.to_string_lossy()]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.lines().last().is_some_and(|l| l.contains("0 failed")), "{out}");
    }
}

#[test]
fn a_failing_example_exits_1_and_says_what_differed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(
        &dir,
        "r.toml",
        r#"[ruleset]
name = "x"
region = "beijing"

[[rule]]
id = "garbage"
when = { category = ["urban.sanitation"] }
then = { lead = "$street" }

[[example]]
name = "wrong on purpose"
case = { district = "110105", street = "110105026", category = "urban.sanitation.garbage" }
expect = { lead = "110105", tier = "general" }
"#,
    );
    let (code, out, _) = minyi(&["rules", "test", &rules]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL wrong on purpose (line 11)"), "{out}");
    assert!(out.contains("lead: expected \"110105\", got \"110105026\""), "{out}");
    assert!(out.contains("examples: 0 passed, 1 failed"), "{out}");
    let (code, _, err) = minyi(&["rules", "check", &rules]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn eval_311_reports_agreement_confusion_and_misses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = write(
        &dir,
        "311.csv",
        "unique_key,created_date,closed_date,agency,agency_name,complaint_type,descriptor,status,borough\n\
         1,2025-12-31T23:59:28.000,,NYPD,New York City Police Department,Noise - Residential,Loud Music/Party,Closed,MANHATTAN\n\
         2,2025-12-31T23:50:00.000,,HPD,Department of Housing Preservation and Development,HEAT/HOT WATER,ENTIRE BUILDING,Open,BRONX\n\
         3,2025-12-31T23:40:00.000,,DSNY,Department of Sanitation,Noise - Residential,Loud Music/Party,Closed,QUEENS\n\
         4,2025-12-31T23:30:00.000,,DOT,Department of Transportation,Something Never Seen,Odd,Open,BROOKLYN\n\
         5,2025-12-31T23:20:00.000,,NYPD\n",
    );
    let (code, out, err) = minyi(&["eval-311", "--rules", &ruleset("nyc311.toml").to_string_lossy(), "--csv", &csv]);
    assert_eq!(code, 0, "{err}");
    // The short row is unreadable: reported by line, and in the denominator.
    assert_eq!(out.lines().last(), Some("agreement: 0.400000 (2/5)"), "{out}");
    assert!(out.contains("unreadable rows (not routed, counted as not agreeing): 1\n  line 6:"), "{out}");
    assert!(out.contains("DSNY") && out.contains("→ NYPD 1"), "{out}");
    assert!(out.contains("rows with no rule hit (default unit): 1"), "{out}");
    assert!(out.contains("Something Never Seen / Odd"), "{out}");
}

/// The real NYC sample (../shared, present on CI): the derived rule set must agree with ≥ 99.7 % of rows.
#[test]
fn eval_311_on_real_nyc_requests() {
    let Some(csv) = minyi_tests::shared::data("nyc311-sample.csv") else { return };
    let (code, out, err) =
        minyi(&["eval-311", "--rules", &ruleset("nyc311.toml").to_string_lossy(), "--csv", &csv.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let last = out.lines().last().unwrap_or_default();
    let fraction: f64 = last
        .strip_prefix("agreement: ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|f| f.parse().ok())
        .unwrap_or(0.0);
    eprintln!("{last}");
    assert!(fraction >= 0.997, "{out}");
}

/// `cargo xtask calendar` on a copy of the calendar's folder: a new year's list in the format of the
/// npm package `chinese-days` is imported beside the years already there (kept, with the list), the
/// header names the source given, and a list that is not that format is refused with the reason,
/// leaving the calendar as it was.
#[test]
fn cargo_xtask_calendar_imports_a_year_and_keeps_the_others() {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("dir");
        for entry in std::fs::read_dir(from).expect("reads").flatten() {
            let path = entry.path();
            if path.is_dir() {
                copy(&path, &to.join(entry.file_name()));
            } else {
                std::fs::copy(&path, to.join(entry.file_name())).expect("copies");
            }
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    copy(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../components/routing/data"), &data);
    let before = std::fs::read_to_string(data.join("calendar-cn.toml")).expect("shipped");
    // A year with one holiday block and one make-up working day (a test list, not a published one).
    let list = dir.path().join("2030.json");
    std::fs::write(
        &list,
        r#"{"holidays":{"2030-01-01":"New Year's Day,元旦,1","2030-10-01":"National Day,国庆节,7",
            "2030-10-02":"National Day,国庆节,7","2030-10-03":"National Day,国庆节,7"},
            "workdays":{"2030-09-29":"National Day,国庆节,7"},"inLieuDays":{}}"#,
    )
    .expect("writes");
    let run = |json: &std::path::Path| {
        minyi_tests::xtask::xtask()
            .args(["calendar", "--source", "a test list", "--data"])
            .arg(&data)
            .arg("--json")
            .arg(json)
            .output()
            .expect("cargo xtask runs")
    };
    let out = run(&list);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("calendar-cn.toml: 2025, 2026, 2030"), "{err}");
    let after = std::fs::read_to_string(data.join("calendar-cn.toml")).expect("written");
    assert!(after.contains("a test list"), "the header names the source: {after}");
    let cal = minyi_routing::calendar::Calendar::parse(&after).expect("parses");
    for year in [2025, 2026, 2030] {
        assert!(cal.covers(year), "{year}: {after}");
    }
    assert!(after.contains("\"2030-10-01..2030-10-03\"") && after.contains("\"2030-09-29\""), "{after}");
    assert!(data.join("chinese-days/2030.json").exists(), "the list is kept beside the others");

    let broken = dir.path().join("2031.json");
    std::fs::write(&broken, "{\"holidays\": [\"2031-01-01\"]}").expect("writes");
    let out = run(&broken);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("not chinese-days JSON"), "{err}");
    assert_eq!(std::fs::read_to_string(data.join("calendar-cn.toml")).expect("kept"), after, "unchanged");
    assert!(!data.join("chinese-days/2031.json").exists());
    assert_ne!(before, after);
}
