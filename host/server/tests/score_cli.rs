//! `minyi score`, `minyi hotspots`, `minyi assess` and `minyi import-311` end to end: the real binary and
//! the scorer component, on a hand-written month and (when ../shared is present) on real NYC 311 requests
//! checked against plain SQL in SQLite.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

fn minyi(args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } =
        Command::new(env!("CARGO_BIN_EXE_minyi")).args(args).env("RUST_LOG", "warn").output().expect("minyi runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn month_events() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/month-2026-11.jsonl").to_string_lossy().into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write file");
    path.to_string_lossy().into_owned()
}

fn unit<'a>(r: &'a Value, list: &str, id: &str) -> &'a Value {
    r[list].as_array().and_then(|l| l.iter().find(|u| u["unit"] == id)).unwrap_or(&Value::Null)
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

/// tests/data/month-2026-11.jsonl, by hand: three units, ten cases, minimum sample 3.
/// - 110105026: two callbacks all yes and 满意, one no/no/不满意 → every rate 2/3, composite 2/3, rank 2.
/// - 110105001: three yes/yes/基本满意, one excluded (无效) → 1, 1, 0.9 → 0.1 + 0.45 + 0.405 = 0.955, rank 1.
/// - bj.heating: three yes/yes/满意 → composite 1, first of the departments.
#[test]
fn score_ranks_a_month_written_by_hand() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write(&dir, "policy.json", r#"{"min_valid_callbacks": 3}"#);
    let (code, out, err) = minyi(&["score", "--month", "2026-11", "--config", &config, "--json", &month_events()]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).expect("JSON ranking");
    assert_eq!(
        (r["period"].as_str(), r["cases"].as_u64(), r["previous_period"].as_str()),
        (Some("2026-11"), Some(10), Some("2026-10"))
    );
    let (s1, s2, d) =
        (unit(&r, "streets", "110105026"), unit(&r, "streets", "110105001"), unit(&r, "departments", "bj.heating"));
    assert!(close(&s1["response_rate"], 2.0 / 3.0) && close(&s1["resolution_rate"], 2.0 / 3.0), "{s1}");
    assert!(close(&s1["satisfaction_rate"], 2.0 / 3.0) && close(&s1["composite"], 2.0 / 3.0), "{s1}");
    assert_eq!((s1["rank"].as_u64(), s1["valid"].as_u64()), (Some(2), Some(3)));
    assert!(close(&s2["satisfaction_rate"], 0.9) && close(&s2["composite"], 0.955), "{s2}");
    assert_eq!((s2["rank"].as_u64(), s2["valid"].as_u64(), s2["excluded"].as_u64()), (Some(1), Some(3), Some(1)));
    assert!(close(&d["composite"], 1.0) && d["rank"] == 1, "{d}");
    assert_eq!(r["streets"][0]["unit"], "110105001", "streets listed by rank");
    // The city's own line: the units' counts summed, its rates from those counts.
    let all: Vec<&Value> =
        ["streets", "departments"].iter().flat_map(|k| r[*k].as_array().into_iter().flatten()).collect();
    let sum = |k: &str| all.iter().filter_map(|u| u[k].as_u64()).sum::<u64>();
    let o = &r["overall"];
    assert_eq!((o["valid"].as_u64(), o["responded"].as_u64()), (Some(sum("valid")), Some(sum("responded"))), "{o}");
    let valid = sum("valid") as f64;
    assert!(close(&o["response_rate"], sum("responded") as f64 / valid), "{o}");
    let satisfied = sum("satisfied") as f64 + 0.9 * sum("basically_satisfied") as f64;
    assert!(close(&o["satisfaction_rate"], satisfied / valid), "{o}");
    let composite = o["composite"].as_f64().expect("a composite");

    // As of 20 November, before the review: the dissatisfied case still counts for 110105001.
    let (code, out, err) = minyi(&[
        "score",
        "--month",
        "2026-11",
        "--config",
        &config,
        "--as-of",
        "2026-11-20T00:00:00+08:00",
        "--json",
        &month_events(),
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).expect("JSON ranking");
    let s2 = unit(&r, "streets", "110105001");
    assert_eq!((s2["valid"].as_u64(), s2["excluded"].as_u64()), (Some(4), Some(0)));
    assert!(close(&s2["composite"], 0.1 * 0.75 + 0.45 * 0.75 + 0.45 * 2.7 / 4.0), "{s2}");

    // The table people read.
    let (code, out, _) = minyi(&["score", "--month", "2026-11", "--config", &config, &month_events()]);
    assert_eq!(code, 0);
    assert!(out.contains("Streets 街道乡镇") && out.contains("Departments 部门"), "{out}");
    let first = out.lines().find(|l| l.contains("110105001")).unwrap_or_default();
    assert!(first.trim_start().starts_with('1') && first.contains("0.9550"), "{out}");
    let city = out.lines().find(|l| l.starts_with("city 全市:")).unwrap_or_default();
    assert!(city.contains(&format!("composite {composite:.4}")), "{out}");

    // Another district's slice is empty; an unknown period is refused by field.
    let (code, out, _) = minyi(&["score", "--month", "2026-11", "--district", "110101", "--json", &month_events()]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).expect("JSON")["cases"], 0);
    let (code, _, err) = minyi(&["score", "--month", "2026-13", &month_events()]);
    assert_eq!(code, 2);
    assert!(err.contains("request.invalid") && err.contains("month"), "{err}");
}

#[test]
fn bad_events_are_reported_with_the_case_and_the_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let events = write(
        &dir,
        "bad.jsonl",
        "{\"case_id\":\"A\",\"at\":\"2026-11-02T09:00:00+08:00\",\"type\":\"received\"}\n{\"case_id\":\"A\",\"at\":\"2026-11-02\",\"type\":\"closed\"}\n",
    );
    let (code, _, err) = minyi(&["score", "--month", "2026-11", &events]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("events.invalid") && err.contains("case A") && err.contains("\"2026-11-02\""), "{err}");
    let events =
        write(&dir, "typo.jsonl", "{\"case_id\":\"A\",\"at\":\"2026-11-02T09:00:00+08:00\",\"type\":\"callbak\"}\n");
    let (code, _, err) = minyi(&["score", "--month", "2026-11", &events]);
    assert_eq!(code, 2);
    assert!(err.contains("callbak"), "{err}");
    let events = write(&dir, "nojson.jsonl", "case A was received\n");
    let (code, _, err) = minyi(&["score", "--month", "2026-11", &events]);
    assert_eq!(code, 2);
    assert!(err.contains("nojson.jsonl:1"), "{err}");
}

#[test]
fn assess_explains_one_case() {
    let (code, out, err) = minyi(&["assess", "--case", "BJ-20261108-000007", &month_events()]);
    assert_eq!(code, 0, "{err}");
    let a: Value = serde_json::from_str(&out).expect("JSON assessment");
    assert_eq!((a["status"].as_str(), a["unit"].as_str()), (Some("excluded"), Some("110105001")));
    assert_eq!(a["exclusion"]["reviewer"], "朝阳区接诉即办中心 王审核");
    assert_eq!((a["contacted_in_time"].as_bool(), a["replied_on_time"].as_bool()), (Some(true), Some(true)));
    assert_eq!(a["reply_due"], "2026-11-15T09:00:00+08:00");
    let (code, _, err) = minyi(&["assess", "--case", "nope", &month_events()]);
    assert_eq!(code, 2);
    assert!(err.contains("no events of case nope"), "{err}");
}

#[test]
fn hotspots_lists_repeats_and_topics() {
    let (code, out, err) = minyi(&["hotspots", "--month", "2026-11", "--json", &month_events()]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).expect("JSON report");
    // Ten demands about one address and category within days of each other: one repeat group.
    assert_eq!(r["repeats_total"], 1, "{r}");
    assert_eq!(r["repeats"][0]["count"], 10);
    assert_eq!(r["topics"][0]["category"], "urban.sanitation.garbage");
    assert_eq!(r["topics"][0]["count"], 10);
    // No history before November: the report says the baseline is not covered.
    assert!(r["warnings"][0].as_str().is_some_and(|w| w.contains("baseline")), "{r}");
    let (code, out, _) = minyi(&["hotspots", "--month", "2026-11", &month_events()]);
    assert_eq!(code, 0);
    assert!(out.contains("每月一题") && out.contains("Poisson"), "{out}");
}

/// Real NYC 311 requests (../shared, present on CI): per-agency closure within N days, computed by the
/// scorer component from the imported events, equals a plain SQL query over the same CSV in SQLite.
#[test]
fn closure_compliance_on_real_nyc_requests_matches_sql() {
    let Some(csv_path) = minyi_tests::shared::data("nyc311-sample.csv") else { return };
    const DAYS: i64 = 2;
    let dir = tempfile::tempdir().expect("temp dir");

    // The component, through the commands users run.
    let (code, events, err) = minyi(&["import-311", &csv_path.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let events = write(&dir, "nyc.jsonl", &events);
    let h = DAYS * 24;
    let config = write(
        &dir,
        "policy.json",
        &format!(
            r#"{{"reply_hours": {{"emergency": {h}, "urgent": {h}, "general": {h}, "complex": {h}, "consult": {h}}}}}"#
        ),
    );
    let (code, out, err) = minyi(&[
        "score",
        "--from",
        "2000-01-01",
        "--to",
        "2100-01-01",
        "--utc-offset",
        "-05:00",
        "--config",
        &config,
        "--json",
        &events,
    ]);
    assert_eq!(code, 0, "{err}");
    let ranking: Value = serde_json::from_str(&out).expect("JSON ranking");
    let component: BTreeMap<String, (u64, u64)> = ranking["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .map(|u| {
            (
                u["unit"].as_str().unwrap_or("").to_owned(),
                (u["cases"].as_u64().unwrap_or(0), u["replied_on_time"].as_u64().unwrap_or(0)),
            )
        })
        .collect();

    // Plain SQL over the same CSV.
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    db.execute("CREATE TABLE requests (unique_key TEXT, created_date TEXT, closed_date TEXT, agency TEXT)", [])
        .expect("table");
    let mut reader = csv::Reader::from_path(&csv_path).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let cols = [col("unique_key"), col("created_date"), col("closed_date"), col("agency")];
    let tx = db.unchecked_transaction().expect("transaction");
    {
        let mut insert = tx.prepare("INSERT INTO requests VALUES (?1, ?2, ?3, ?4)").expect("insert");
        for record in reader.records() {
            let r = record.expect("row");
            insert.execute(cols.map(|c| r.get(c).unwrap_or(""))).expect("insert row");
        }
    }
    tx.commit().expect("commit");
    let mut query = db
        .prepare(
            "SELECT agency, COUNT(*),
                    SUM(CASE WHEN closed_date <> ''
                              AND strftime('%s', closed_date) - strftime('%s', created_date) <= ?1
                         THEN 1 ELSE 0 END)
             FROM requests GROUP BY agency ORDER BY agency",
        )
        .expect("query");
    let sql: BTreeMap<String, (u64, u64)> = query
        .query_map([DAYS * 86_400], |row| {
            Ok((row.get::<_, String>(0)?, (row.get::<_, u64>(1)?, row.get::<_, u64>(2)?)))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");

    for (agency, (cases, on_time)) in &sql {
        eprintln!(
            "{agency:6} {cases:6} cases, {on_time:6} closed within {DAYS} days ({:.1}%)",
            100.0 * *on_time as f64 / *cases as f64
        );
    }
    assert_eq!(sql.len(), 15, "every agency in the sample");
    assert_eq!(component, sql, "component (left) vs SQL (right)");
}

/// `minyi demo` on a fresh SQLite file: a month of casework filed and worked through the service's
/// handlers, every kind of step taken; the service then ranks exactly what the demo says it wrote; a
/// second run is refused and leaves the database as it was.
#[test]
fn demo_fills_a_fresh_database_that_the_service_then_scores() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db").to_string_lossy().into_owned();
    let month = ["--months", "1", "--per-day", "6", "--seed", "7", "--end", "2026-12-01T00:00:00+08:00"];
    let (code, out, err) = minyi(&[&["demo", "--db", &db][..], &month].concat());
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).expect("JSON summary");
    let filled = &r["filled"];
    let count = |k: &str| filled[k].as_u64().unwrap_or(0);
    for k in ["cases", "dispatched", "returned", "extended", "replied", "callbacks", "closed", "warnings", "overdue"] {
        assert!(count(k) > 0, "no {k} in {filled}");
    }
    assert!(count("cases") > 100 && count("replied") < count("cases") && count("closed") <= count("callbacks"));
    let token = r["city_token"].as_str().expect("the city admin's token, made on the fresh database");

    // Refused on a database that holds cases, with or without a token; nothing more is filed.
    let (code, _, err) = minyi(&[&["demo", "--db", &db, "--token", token][..], &month].concat());
    assert_eq!(code, 2);
    assert!(err.contains("already holds cases"), "{err}");
    let (code, _, err) = minyi(&[&["demo", "--db", &db][..], &month].concat());
    assert_eq!(code, 2);
    assert!(err.contains("give a city admin's --token"), "{err}");

    let node = minyi_tests::serve::Node::start(env!("CARGO_BIN_EXE_minyi"), &db);
    let get = |path: &str| -> Value {
        let mut res = ureq::get(&format!("{}{path}", node.base))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("GET answers 200");
        serde_json::from_str(&res.body_mut().read_to_string().expect("body")).expect("JSON")
    };
    let scores = get("/api/scores?month=2026-11");
    let units: Vec<&Value> =
        ["streets", "departments"].iter().flat_map(|l| scores[*l].as_array().into_iter().flatten()).collect();
    let sum = |k: &str| units.iter().map(|u| u[k].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!(scores["cases"].as_u64(), Some(count("cases")));
    assert_eq!(
        (sum("cases"), sum("replied"), sum("valid")),
        (count("dispatched"), count("replied"), count("callbacks"))
    );
    assert!(units.len() > 10, "cases of many units: {}", units.len());
    let list = get("/api/cases?limit=1000");
    let states: std::collections::BTreeSet<&str> =
        list["cases"].as_array().into_iter().flatten().filter_map(|c| c["state"].as_str()).collect();
    assert_eq!(list["cases"].as_array().map(Vec::len), Some(count("cases") as usize));
    assert!(["closed", "replied", "in_progress"].iter().all(|s| states.contains(s)), "{states:?}");
}

/// Labelled demands in three categories, a title and a message each, and one row without a label.
const DEMANDS: &str = "id,title,text,category
1,暖气不热,家里暖气从昨天开始不热，室温只有十二度,供暖
2,暖气片冰凉,暖气片冰凉，供热公司一直不来修,供暖
3,供热温度低,小区集中供热温度太低，老人孩子受不了,供暖
4,暖气漏水,暖气管道漏水把地板泡了,供暖
5,垃圾没人清运,楼下垃圾三天没人清运，气味很大,环卫
6,垃圾桶满了,垃圾桶满了没人管，臭气熏天,环卫
7,垃圾站脏乱,小区垃圾分类站脏乱，蚊蝇很多,环卫
8,路边垃圾,路边垃圾堆成山，没人清扫,环卫
9,拖欠工资,公司拖欠工资三个月，老板不见人,劳动
10,不签合同,老板不发工资还不签劳动合同,劳动
11,不缴社保,单位不给缴社保，也不给加班费,劳动
12,没有加班费,加班没有加班费，还拖欠工资,劳动
13,咨询,\"只是问问，没有分类\",
";

/// Held-out demands the model has not seen, and one it cannot read (empty).
const HELD_OUT: &str = "title,text,category
暖气不热,我家暖气一点都不热，室温很低,供暖
垃圾,楼道垃圾一直没人清运,环卫
工资,工厂拖欠我们的工资,劳动
,,劳动
";

#[test]
fn a_model_trained_by_xtask_is_evaluated_by_minyi() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = write(&dir, "demands.csv", DEMANDS);
    let train = |out: &str, seed: &str| {
        let out = dir.path().join(out);
        let o = minyi_tests::xtask::xtask()
            .args(["train", "--data", &data, "--text-col", "title", "--text-col", "text", "--label-col", "category"])
            .args(["--seed", seed, "--out"])
            .arg(&out)
            .output()
            .expect("xtask runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let said = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(said.contains("trained on 12 labelled rows (1 without a label)"), "{said}");
        std::fs::read(out).expect("the model is written")
    };
    let model = train("a.model", "7");
    assert_eq!(train("b.model", "7"), model, "the same data and seed give the same model, byte for byte");
    let model = dir.path().join("a.model").display().to_string();

    let held = write(&dir, "held.csv", HELD_OUT);
    let (code, out, err) = minyi(&["eval-classify", "--model", &model, "--csv", &held, "--json"]);
    assert_eq!(code, 0, "{err}");
    let e: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(e["count"], 4, "every labelled row, the unreadable one included");
    assert_eq!(e["labels"], serde_json::json!(["供暖", "劳动", "环卫"]), "the labels come from the data");
    let matrix: u64 = e["confusion"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r.as_array().into_iter().flatten())
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(matrix, 3, "the three readable rows are in the matrix; the empty one is counted wrong");
    assert!((e["accuracy"].as_f64().unwrap_or(0.0) - 0.75).abs() < 1e-6, "3 of 4: {e}");
    let buckets: u64 = e["reliability"].as_array().into_iter().flatten().filter_map(|b| b["count"].as_u64()).sum();
    assert_eq!(buckets, 4, "every prediction is in a confidence bucket");
    let (code, out, _) = minyi(&["eval-classify", "--model", &model, "--csv", &held]);
    assert_eq!(code, 0);
    assert!(out.contains("accuracy 75.0 %") && out.contains("confusion") && out.contains("calibration"), "{out}");

    // A model file cut short, a file that is no model, a column that is not there.
    let cut = write(&dir, "cut.model", "");
    std::fs::write(&cut, &std::fs::read(&model).expect("reads")[..100]).expect("writes");
    let (code, _, err) = minyi(&["eval-classify", "--model", &cut, "--csv", &held]);
    assert_eq!(code, 2);
    assert!(err.contains("--model") && err.contains("truncated or corrupt"), "{err}");
    let (code, _, err) = minyi(&["eval-classify", "--model", &data, "--csv", &held]);
    assert_eq!(code, 2);
    assert!(err.contains("not a Minyi classifier model"), "{err}");
    let (code, _, err) = minyi(&["eval-classify", "--model", &model, "--csv", &held, "--label-col", "类别"]);
    assert_eq!(code, 2);
    assert!(err.contains("--label-col") && err.contains("类别"), "{err}");
}
