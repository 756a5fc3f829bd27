//! Casework after dispatch through the HTTP service and the `minyi` binary, on real components and a
//! real SQLite file or PostgreSQL database: a month lived case by case (filed, accepted, returned and
//! re-dispatched, extended, replied, called back, excluded, overdue by the sweep) whose ranking from
//! `GET /api/scores` equals `minyi score` over `minyi case events` and a hand computation; a district
//! scoring plugin's review and the scorer's assessment kept as decisions at each change and replayed;
//! and the route × role matrix, every endpoint against every kind of token, written out as a table.

use crate::common;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, FixedOffset};
use common::send;
use minyi_auth::{Admins, NewToken, Role};
use minyi_cases::{BEIJING, CaseStore};
use minyi_server::AppState;
use minyi_server::clock::Clock;
use minyi_server::plugins::Plugins;
use minyi_tests::postgres::Backend;
use serde_json::{Value, json};
use std::sync::Arc;

minyi_tests::on_both!(
    a_month_of_casework_ranks_as_the_command_line_and_the_hand_do,
    every_route_answers_every_role_as_the_table_says,
    a_scoring_review_is_kept_as_evidence_and_imposed_once
);

const WANGJING: &str = "110105026";
const SANLITUN: &str = "110105004";

/// A service on a fresh database with a fixed clock, and a token of every kind.
struct World {
    state: AppState,
    clock: Clock,
    db: String,
    city: String,
    district: String,
    district_other: String,
    reviewer: String,
    reviewer_other: String,
    op_wangjing: String,
    op_sanlitun: String,
    client: String,
    _dir: tempfile::TempDir,
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("a valid time")
}

fn world(backend: Backend) -> Option<World> {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = backend.database(dir.path(), "minyi_casework")?;
    let plugins = Plugins::open(&db).expect("registry");
    let admins = Arc::new(Admins::open_url(&db).expect("tokens"));
    let make = |by: Option<&minyi_auth::Staff>, role, district, unit| {
        admins.create(by, &NewToken { role: Some(role), district, unit, name: None }).expect("token").token
    };
    let city = make(None, Role::City, None, None);
    let by = admins.authenticate(&city).expect("city");
    let runtime = Arc::new(minyi_runtime::Runtime::new(Default::default()).expect("components load"));
    let rules = runtime
        .compile_rules_shared(include_str!("../../../components/routing/rulesets/beijing.toml"))
        .expect("runs")
        .expect("compiles");
    let clock = Clock::fixed(at("2026-11-01T08:00:00+08:00"));
    let state = AppState {
        runtime,
        web_dir: dir.path().to_owned(),
        rules: Some(Arc::new(rules)),
        plugins: Some(plugins),
        cases: Some(Arc::new(CaseStore::open_url(&db, BEIJING).expect("case store"))),
        admins: Some(Arc::clone(&admins)),
        clock: clock.clone(),
        allow_origins: Vec::new(),
        guard: minyi_server::Guard::default(),
        classifier: None,
    };
    Some(World {
        district: make(Some(&by), Role::District, Some("110105"), None),
        district_other: make(Some(&by), Role::District, Some("110108"), None),
        reviewer: make(Some(&by), Role::Reviewer, Some("110105"), None),
        reviewer_other: make(Some(&by), Role::Reviewer, Some("110108"), None),
        op_wangjing: make(Some(&by), Role::Operator, None, Some(WANGJING)),
        op_sanlitun: make(Some(&by), Role::Operator, None, Some(SANLITUN)),
        client: make(Some(&by), Role::Client, None, None),
        city,
        state,
        clock,
        db,
        _dir: dir,
    })
}

fn form(address: &str, reported: &str) -> String {
    json!({"district": "110105", "channel": "web", "kind": "complaint", "category": "urban.sanitation.garbage",
        "title": "垃圾没人清运", "description": "小区垃圾三天没人清运了", "address": address,
        "reporter": {"name": "王女士", "phone": "138 0013 8000"}, "consent": true, "received_at": reported})
    .to_string()
}

/// Runs the `minyi` binary; its standard output.
fn minyi(args: &[&str], stdin: &str, token: Option<&str>) -> String {
    use std::io::Write as _;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_minyi"));
    cmd.args(args)
        .env_remove("MINYI_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(t) = token {
        cmd.env("MINYI_TOKEN", t);
    }
    let mut child = cmd.spawn().expect("minyi runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("writes");
    let out = child.wait_with_output().expect("finishes");
    assert!(out.status.success(), "minyi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

impl World {
    fn set(&self, t: DateTime<FixedOffset>) {
        self.clock.set(t);
    }

    /// Files a demand at the clock's time; its number and tracking token, after checking where it went.
    async fn file(&self, address: &str, lead: &str) -> (String, String) {
        let now = self.clock.now().to_rfc3339();
        let (status, r) = send(&self.state, "POST", "/api/cases", None, form(address, &now)).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        assert_eq!((r["state"].as_str(), r["routing"]["lead"].as_str()), (Some("dispatched"), Some(lead)), "{r}");
        (r["case_id"].as_str().expect("id").to_owned(), r["tracking_token"].as_str().expect("token").to_owned())
    }

    async fn act(&self, token: &str, id: &str, event: Value) -> (StatusCode, Value) {
        send(&self.state, "POST", &format!("/api/cases/{id}/events"), Some(token), event.to_string()).await
    }

    /// A step that must be written: 201, the stored event stamped by the server.
    async fn step(&self, token: &str, id: &str, event: Value) -> Value {
        let (status, v) = self.act(token, id, event.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{event} on {id}: {v}");
        assert_eq!(v["event"]["at"], self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
        v
    }

    async fn callback(&self, tracking: &str, id: &str, resolved: bool, satisfaction: &str) {
        let body = json!({"resolved": resolved, "satisfaction": satisfaction, "comment": "谢谢"}).to_string();
        let (status, v) = send(&self.state, "POST", &format!("/api/cases/{id}/callback"), Some(tracking), body).await;
        assert_eq!((status, v["state"].as_str()), (StatusCode::CREATED, Some("callback")), "{v}");
    }

    /// One ordinary case from filing to closing: in progress and contacted `contact` after filing,
    /// replied two days on, called back, closed.
    async fn ordinary(&self, day: &str, address: &str, unit: &str, op: &str, contact: Option<i64>, cb: (bool, &str)) {
        let t0 = at(day);
        self.set(t0);
        let (id, tracking) = self.file(address, unit).await;
        self.set(t0 + Duration::hours(1));
        self.step(op, &id, json!({"type": "in_progress"})).await;
        if let Some(h) = contact {
            self.set(t0 + Duration::hours(h));
            self.step(op, &id, json!({"type": "first_contact"})).await;
        }
        self.set(t0 + Duration::days(2));
        self.step(op, &id, json!({"type": "replied", "resolved": true, "message": "已清运"})).await;
        self.set(t0 + Duration::days(3));
        self.callback(&tracking, &id, cb.0, cb.1).await;
        self.step(&self.district, &id, json!({"type": "closed"})).await;
    }

    fn unit<'a>(ranking: &'a Value, unit: &str) -> &'a Value {
        ranking["streets"].as_array().and_then(|s| s.iter().find(|u| u["unit"] == unit)).expect("unit ranked")
    }
}

fn a_month_of_casework_ranks_as_the_command_line_and_the_hand_do(backend: Backend) {
    let Some(w) = world(backend) else { return };
    tokio::runtime::Runtime::new().expect("runtime").block_on(live_a_month(&w));
}

async fn live_a_month(w: &World) {
    const WJ: &str = "朝阳区望京西园三区";
    const SLT: &str = "朝阳区三里屯";
    // 望京 (A1–A5): A2 is contacted late (30 h > 24 h); A4 unresolved and dissatisfied.
    w.ordinary("2026-11-02T09:00:00+08:00", WJ, WANGJING, &w.op_wangjing, Some(2), (true, "satisfied")).await;
    w.ordinary("2026-11-03T09:00:00+08:00", WJ, WANGJING, &w.op_wangjing, Some(30), (true, "satisfied")).await;

    // A3: an extension asked for, approved by the district, the reply inside it.
    w.set(at("2026-11-04T09:00:00+08:00"));
    let (a3, a3_tracking) = w.file(WJ, WANGJING).await;
    w.set(at("2026-11-04T10:00:00+08:00"));
    w.step(&w.op_wangjing, &a3, json!({"type": "first_contact"})).await;
    let (status, v) = w.act(&w.op_wangjing, &a3, json!({"type": "extension_requested", "reason": " "})).await;
    assert_eq!((status, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{v}");
    w.step(&w.op_wangjing, &a3, json!({"type": "extension_requested", "reason": "需协调物业"})).await;
    let (status, _) = w
        .act(&w.op_wangjing, &a3, json!({"type": "extension_approved", "deadline": "2026-11-20T09:00:00+08:00"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a unit does not approve its own extension");
    w.step(&w.district, &a3, json!({"type": "extension_approved", "deadline": "2026-11-20T09:00:00+08:00"})).await;
    w.set(at("2026-11-14T09:00:00+08:00"));
    w.step(&w.op_wangjing, &a3, json!({"type": "replied", "resolved": true, "message": "已协调清运"})).await;
    w.callback(&a3_tracking, &a3, true, "basically_satisfied").await;
    w.step(&w.district, &a3, json!({"type": "closed"})).await;

    w.ordinary("2026-11-05T09:00:00+08:00", WJ, WANGJING, &w.op_wangjing, Some(3), (false, "dissatisfied")).await;

    // A5: excluded by the reviewer, then the exclusion revoked: it counts.
    w.set(at("2026-11-06T09:00:00+08:00"));
    let (a5, a5_tracking) = w.file(WJ, WANGJING).await;
    w.set(at("2026-11-06T10:00:00+08:00"));
    w.step(&w.op_wangjing, &a5, json!({"type": "first_contact"})).await;
    w.step(&w.op_wangjing, &a5, json!({"type": "replied", "resolved": true})).await;
    w.callback(&a5_tracking, &a5, true, "satisfied").await;
    let (status, v) =
        w.act(&w.reviewer, &a5, json!({"type": "excluded", "reason": "invalid", "reviewer": "someone else"})).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("field.reserved")), "{v}");
    w.step(&w.reviewer, &a5, json!({"type": "excluded", "reason": "invalid", "note": "重复"})).await;
    w.step(&w.reviewer, &a5, json!({"type": "exclusion_revoked", "note": "复核后有效"})).await;

    // A6: 望京 returns it (退单); the district rules and re-dispatches it to 三里屯 (改派); 望京 may no
    // longer act on it, 三里屯 handles it.
    w.set(at("2026-11-07T09:00:00+08:00"));
    let (a6, a6_tracking) = w.file(WJ, WANGJING).await;
    w.set(at("2026-11-07T11:00:00+08:00"));
    let (status, v) = w.act(&w.op_wangjing, &a6, json!({"type": "returned"})).await;
    assert_eq!((status, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{v}");
    w.step(&w.op_wangjing, &a6, json!({"type": "returned", "reason": "属三里屯辖区"})).await;
    let (status, v) = w.act(&w.op_wangjing, &a6, json!({"type": "first_contact"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a returned case is no unit's: {v}");
    // What each role is offered on it is what the state machine and the role table allow: nothing to
    // the unit that returned it; the ruling and 改派 to the district.
    let offered = |v: &Value| -> Vec<String> {
        v["actions"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_owned)).collect()
    };
    let (_, v) = send(&w.state, "GET", &format!("/api/cases/{a6}"), Some(&w.district), String::new()).await;
    assert_eq!(offered(&v), ["dispatched", "ruling", "pending_manual"], "{v}");
    let (status, _) = send(&w.state, "GET", &format!("/api/cases/{a6}"), Some(&w.op_wangjing), String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a returned case is no longer 望京's to read");
    w.step(&w.district, &a6, json!({"type": "ruling", "decision": "由三里屯街道办理"})).await;
    let v = w.step(&w.district, &a6, json!({"type": "dispatched", "unit": SANLITUN})).await;
    let (_, v6) = send(&w.state, "GET", &format!("/api/cases/{a6}"), Some(&w.op_sanlitun), String::new()).await;
    let unit_steps = ["in_progress", "first_contact", "returned", "extension_requested", "replied"];
    assert_eq!(offered(&v6), unit_steps, "{v6}");
    assert_eq!(v["state"], "dispatched");
    let deadline = v["event"]["deadline"].as_str().expect("a re-dispatch gets its tier's limit from now");
    assert_eq!(at(deadline), at("2026-11-14T11:00:00+08:00"), "7 days from the re-dispatch");
    let (status, v) = w.act(&w.op_wangjing, &a6, json!({"type": "replied"})).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("auth.forbidden")), "after 改派: {v}");
    w.set(at("2026-11-07T12:00:00+08:00"));
    w.step(&w.op_sanlitun, &a6, json!({"type": "first_contact"})).await;
    w.step(&w.op_sanlitun, &a6, json!({"type": "replied", "resolved": true, "message": "已清运"})).await;
    let (status, v) = w.act(&w.op_sanlitun, &a6, json!({"type": "returned", "reason": "晚了"})).await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::CONFLICT, Some("transition.illegal")), "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("`replied`"), "names the state: {v}");
    w.callback(&a6_tracking, &a6, true, "satisfied").await;
    w.step(&w.district, &a6, json!({"type": "closed"})).await;

    // 三里屯 (B1–B6): B2 never contacted; B6 excluded as invalid.
    w.ordinary("2026-11-09T09:00:00+08:00", SLT, SANLITUN, &w.op_sanlitun, Some(1), (true, "satisfied")).await;
    w.ordinary("2026-11-10T09:00:00+08:00", SLT, SANLITUN, &w.op_sanlitun, None, (true, "basically_satisfied")).await;
    w.ordinary("2026-11-11T09:00:00+08:00", SLT, SANLITUN, &w.op_sanlitun, Some(2), (true, "satisfied")).await;
    w.ordinary("2026-11-12T09:00:00+08:00", SLT, SANLITUN, &w.op_sanlitun, Some(2), (true, "satisfied")).await;
    w.set(at("2026-11-13T09:00:00+08:00"));
    let (b6, b6_tracking) = w.file(SLT, SANLITUN).await;
    w.set(at("2026-11-13T10:00:00+08:00"));
    w.step(&w.op_sanlitun, &b6, json!({"type": "first_contact"})).await;
    w.step(&w.op_sanlitun, &b6, json!({"type": "replied", "resolved": true})).await;
    w.callback(&b6_tracking, &b6, true, "satisfied").await;
    w.step(&w.reviewer, &b6, json!({"type": "excluded", "reason": "invalid", "note": "恶意重复"})).await;

    // B3: no reply in time. The sweep (`minyi sla sweep`) warns at 80 % and escalates past the deadline,
    // once each; the queue shows the time left going negative.
    w.set(at("2026-11-20T09:00:00+08:00"));
    let (b3, b3_tracking) = w.file(SLT, SANLITUN).await;
    w.set(at("2026-11-20T10:00:00+08:00"));
    w.step(&w.op_sanlitun, &b3, json!({"type": "first_contact"})).await;
    let (status, q) = send(&w.state, "GET", "/api/cases?state=dispatched", Some(&w.op_sanlitun), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let row = &q["cases"][0];
    assert_eq!((row["case_id"].as_str(), row["lead"].as_str()), (Some(b3.as_str()), Some(SANLITUN)), "{q}");
    let deadline = at(row["deadline"].as_str().expect("deadline"));
    assert_eq!(row["time_left_s"].as_i64(), Some((deadline - w.clock.now()).num_seconds()), "{row}");
    assert_eq!((row["warning"].as_bool(), row["overdue"].as_bool()), (Some(false), Some(false)), "{row}");
    let queued =
        |q: &Value| q["cases"].as_array().and_then(|c| c.iter().find(|r| r["case_id"] == b3.as_str()).cloned());
    // Past 80 %: the queue marks it at once, before any sweep has written the warning.
    w.set(deadline - Duration::days(1));
    let (_, q) = send(&w.state, "GET", "/api/cases?state=dispatched", Some(&w.op_sanlitun), String::new()).await;
    let row = queued(&q).expect("in the queue");
    assert_eq!((row["warning"].as_bool(), row["overdue"].as_bool()), (Some(true), Some(false)), "{row}");
    w.set(at("2026-11-20T10:00:00+08:00"));
    let sweep = |now: DateTime<FixedOffset>| -> Value {
        let out = minyi(&["sla", "sweep", "--db", &w.db, "--now", &now.to_rfc3339()], "", None);
        serde_json::from_str(&out).expect("JSON")
    };
    let s = sweep(deadline - Duration::days(2));
    assert_eq!((s["warnings"].as_u64(), s["overdue"].as_u64()), (Some(0), Some(0)), "before 80 %: {s}");
    let s = sweep(deadline - Duration::days(1));
    assert_eq!((s["warnings"].as_u64(), s["overdue"].as_u64(), &s["cases"]), (Some(1), Some(0), &json!([b3])), "{s}");
    let s = sweep(deadline + Duration::hours(1));
    assert_eq!((s["warnings"].as_u64(), s["overdue"].as_u64()), (Some(0), Some(1)), "{s}");
    let s = sweep(deadline + Duration::hours(2));
    assert_eq!((s["warnings"].as_u64(), s["overdue"].as_u64()), (Some(0), Some(0)), "once each: {s}");
    w.set(deadline + Duration::hours(3));
    let (_, q) = send(&w.state, "GET", "/api/cases?unit=110105004", Some(&w.op_sanlitun), String::new()).await;
    let row = q["cases"].as_array().and_then(|c| c.iter().find(|r| r["case_id"] == b3.as_str())).expect("in queue");
    assert_eq!((row["overdue"].as_bool(), row["time_left_s"].as_i64()), (Some(true), Some(-3 * 3600)), "{row}");
    assert_eq!(row["warning"].as_bool(), Some(true), "an overdue case was warned: {row}");
    w.step(&w.op_sanlitun, &b3, json!({"type": "replied", "resolved": false, "message": "正在处理"})).await;
    w.callback(&b3_tracking, &b3, false, "dissatisfied").await;
    w.step(&w.district, &b3, json!({"type": "closed"})).await;

    // The citizen sees the reply and the callback, and nothing personal.
    let (status, v) = send(&w.state, "GET", &format!("/api/cases/{b3}"), Some(&b3_tracking), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["reply"]["message"].as_str(), v["callback"]["satisfaction"].as_str()),
        (Some("正在处理"), Some("dissatisfied"))
    );
    let kinds: Vec<&str> =
        v["history"].as_array().expect("history").iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(kinds.contains(&"warning") && kinds.contains(&"overdue"), "{kinds:?}");
    assert!(!v.to_string().contains("138") && !v.to_string().contains(&w.op_sanlitun[..12]), "{v}");

    // The audit log: who returned A6, who read it, from the staff's tokens; operators may not read it.
    send(&w.state, "GET", &format!("/api/cases/{a6}"), Some(&w.op_sanlitun), String::new()).await;
    let (status, log) = send(&w.state, "GET", &format!("/api/audit?case={a6}"), Some(&w.district), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["entries"].as_array().expect("entries");
    let has = |role: &str, action: &str| entries.iter().any(|e| e["role"] == role && e["action"] == action);
    assert!(
        has("operator", "event:returned") && has("district", "event:dispatched") && has("operator", "read"),
        "{log}"
    );
    assert!(has("citizen", "event:callback") && has("service", "event:received"), "{log}");

    // Scores: the API, the command line over the exported events, and the hand agree.
    let (status, api) = send(&w.state, "GET", "/api/scores?month=2026-11", Some(&w.district), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{api}");
    let events = minyi(&["case", "events", "--db", &w.db], "", Some(&w.city));
    let cli: Value = serde_json::from_str(&minyi(
        &["score", "--month", "2026-11", "--district", "110105", "--json", "-"],
        &events,
        None,
    ))
    .expect("JSON");
    assert_eq!(api, cli, "GET /api/scores equals minyi score over minyi case events");
    assert_eq!((api["cases"].as_u64(), api["unassigned"].as_u64()), (Some(12), Some(0)), "{api}");
    // By hand (weights 0.1/0.45/0.45, 基本满意 0.9):
    //   望京 A1–A5: valid 5; responded 4 (A2 late); resolved 4 (A4 not); satisfied 3 + basic 1 (A3)
    //     → 0.1·0.8 + 0.45·0.8 + 0.45·(3.9/5) = 0.791
    //   三里屯 B1–B5 + A6: valid 6, excluded 1 (B6); responded 5 (B2 never); resolved 5 (B3 not);
    //     satisfied 4 + basic 1 (B2) → 0.1·5/6 + 0.45·5/6 + 0.45·(4.9/6) = 0.825833…
    let hand = [(WANGJING, 5, 0, 4, 4, 3, 1, 1, 0.791, 2), (SANLITUN, 6, 1, 5, 5, 4, 1, 1, 4.955 / 6.0, 1)];
    for (unit, valid, excluded, responded, resolved, sat, basic, dis, composite, rank) in hand {
        let u = World::unit(&api, unit);
        let counts = ["valid", "excluded", "responded", "resolved", "satisfied", "basically_satisfied", "dissatisfied"]
            .map(|k| u[k].as_u64().unwrap_or(u64::MAX));
        assert_eq!(counts, [valid, excluded, responded, resolved, sat, basic, dis], "{unit}: {u}");
        let got = u["composite"].as_f64().unwrap_or(f64::NAN);
        assert!((got - composite).abs() < 1e-4, "{unit}: composite {got} by hand {composite}");
        assert_eq!(u["rank"].as_u64(), Some(rank), "{unit}: {u}");
    }
    eprintln!("ranking from GET /api/scores ({}):", w.state.cases.as_ref().map_or("", |c| c.backend()));
    for unit in [SANLITUN, WANGJING] {
        let u = World::unit(&api, unit);
        eprintln!(
            "  {unit} rank {} valid {} resp {:.4} res {:.4} sat {:.4} composite {:.6}",
            u["rank"], u["valid"], u["response_rate"], u["resolution_rate"], u["satisfaction_rate"], u["composite"]
        );
    }

    let (status, hot) = send(&w.state, "GET", "/api/hotspots?month=2026-11", Some(&w.city), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{hot}");
    let cli: Value =
        serde_json::from_str(&minyi(&["hotspots", "--month", "2026-11", "--json", "-"], &events, None)).expect("JSON");
    assert_eq!(hot, cli, "GET /api/hotspots equals minyi hotspots");
}

/// Every route against every kind of token, in order (a step that succeeds changes the case for the
/// cells after it). Columns: no token, the citizen's tracking token, an operator of the lead unit and
/// of another unit, the district's admin and another district's, the district's reviewer and another
/// district's, a city admin, a client. `-` marks where the row is not meaningful (none here).
const MATRIX: &str = "
                        none citizen op_lead op_other district district_other reviewer reviewer_other city client
list                    401  401     200     200      200      200            200      200            200  403
queue_of_lead_unit      401  401     200     403      200      200            200      200            200  403
read_case               401  200     200     403      200      403            200      403            200  403
first_contact           401  401     201     403      403      403            403      403            403  403
redispatch              401  401     403     403      201      403            403      403            201  403
exclude                 401  401     403     403      403      403            201      403            403  403
revoke_exclusion        401  401     403     403      403      403            201      403            403  403
callback                401  201     403     403      201      403            201      403            201  403
scores                  401  401     403     403      200      200            200      200            200  403
hotspots                401  401     403     403      200      200            200      200            200  403
audit                   401  401     403     403      200      403            403      403            200  403
plugins                 401  401     403     403      200      403            403      403            200  403
file_a_demand           201  201     201     201      201      201            201      201            201  201
";

/// Chaoyang's `review-rulings` plugin reviews a case at each change: the district's ruling that the
/// demand is unreasonable makes it ask for an exclusion, stored once as the plugin's `excluded` event; a
/// reviewer revokes it and it stays revoked. Every review and assessment is a decision, and
/// `minyi replay` runs them all again identically.
fn a_scoring_review_is_kept_as_evidence_and_imposed_once(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let plugins = w.state.plugins.as_deref().expect("plugins");
    let admins = w.state.admins.as_deref().expect("tokens");
    let city = admins.authenticate(&w.city).expect("city");
    let (key, public) = minyi_registry::signing::generate().expect("key");
    plugins.registry.trust_key(&city, "110105", &public).expect("trusts");
    let bytes = common::plugin("review_rulings");
    common::activate(plugins, &city, &key, "review-rulings", "110105", &[minyi_registry::Hook::Scoring], bytes);
    let id = tokio::runtime::Runtime::new().expect("runtime").block_on(rule_unreasonable_then_revoke(&w));

    let cases = w.state.cases.as_deref().expect("a case store");
    let case = cases.get(&id).expect("the case");
    let kinds: Vec<&str> = case.events.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "excluded").count(), 1, "imposed once: {kinds:?}");
    assert_eq!(kinds.last(), Some(&"exclusion_revoked"), "a revoked exclusion stays revoked: {kinds:?}");
    let excluded = case.events.iter().find(|e| e.event.kind() == "excluded").expect("the plugin's exclusion");
    assert_eq!(excluded.by.as_deref(), Some("plugin:review-rulings@1.0.0"));
    assert_eq!(excluded.at, "2026-11-10T11:00:00+08:00", "stamped when the ruling made the plugin ask");

    let decisions: Vec<_> = cases.decisions(&id).expect("decisions").into_iter().map(|d| d.decision).collect();
    let steps: Vec<&str> = decisions.iter().map(|d| d.step.as_str()).collect();
    assert_eq!(
        steps,
        ["validate", "route", "plugin.review", "score", "plugin.review", "score", "plugin.review", "score"],
        "a review and an assessment at each change"
    );
    let output = |i: usize| -> Value { serde_json::from_str(&decisions[i].output).expect("json") };
    assert_eq!(output(2)["exclusion"], Value::Null, "no ruling yet: {}", decisions[2].output);
    assert_eq!(output(4)["exclusion"]["reason"], "unreasonable", "{}", decisions[4].output);
    assert_eq!(output(5)["exclusion"]["reason"], "unreasonable", "assessed with it: {}", decisions[5].output);
    assert_eq!(output(7)["exclusion"], Value::Null, "and without it once revoked: {}", decisions[7].output);
    let deciders: Value = serde_json::from_str(&decisions[5].deciders).expect("json");
    assert_eq!(deciders["scorer"].as_str().map(str::len), Some(64), "{deciders}");

    let out = minyi(&["replay", "--db", &w.db, "--case", &id], "", None);
    println!("minyi replay --case {id}\n{out}");
    assert_eq!(out.lines().last(), Some("identical"), "{out}");
    assert!(out.contains("score") && out.contains("plugin.review"), "{out}");
}

/// Files a demand, has Wangjing return it, the district rule it unreasonable and a reviewer revoke the
/// exclusion that follows; the case number.
async fn rule_unreasonable_then_revoke(w: &World) -> String {
    w.set(at("2026-11-10T09:00:00+08:00"));
    let (id, _) = w.file("朝阳区望京西园三区", WANGJING).await;
    w.set(at("2026-11-10T10:00:00+08:00"));
    w.step(&w.op_wangjing, &id, json!({"type": "returned", "reason": "诉求要求拆除邻居的合法建筑"})).await;
    w.set(at("2026-11-10T11:00:00+08:00"));
    w.step(&w.district, &id, json!({"type": "ruling", "decision": "不合理诉求：要求拆除合法建筑"})).await;
    w.set(at("2026-11-10T12:00:00+08:00"));
    w.step(&w.reviewer, &id, json!({"type": "exclusion_revoked", "note": "复核：诉求部分合理"})).await;
    id
}

fn every_route_answers_every_role_as_the_table_says(backend: Backend) {
    let Some(w) = world(backend) else { return };
    tokio::runtime::Runtime::new().expect("runtime").block_on(walk_the_matrix(&w));
}

async fn walk_the_matrix(w: &World) {
    w.set(at("2026-11-10T09:00:00+08:00"));
    let (x, x_tracking) = w.file("朝阳区望京西园三区", WANGJING).await;
    let (y, y_tracking) = w.file("朝阳区望京西园三区", WANGJING).await;
    w.step(&w.op_wangjing, &y, json!({"type": "replied", "resolved": true})).await;
    let mut lines = MATRIX.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    let mut walked = 0;
    for line in lines {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), header.len() + 1, "{line}");
        for (column, want) in header.iter().zip(&cells[1..]) {
            let citizen = if cells[0] == "callback" { y_tracking.as_str() } else { x_tracking.as_str() };
            let token = match *column {
                "none" => None,
                "citizen" => Some(citizen),
                "op_lead" => Some(w.op_wangjing.as_str()),
                "op_other" => Some(w.op_sanlitun.as_str()),
                "district" => Some(w.district.as_str()),
                "district_other" => Some(w.district_other.as_str()),
                "reviewer" => Some(w.reviewer.as_str()),
                "reviewer_other" => Some(w.reviewer_other.as_str()),
                "city" => Some(w.city.as_str()),
                "client" => Some(w.client.as_str()),
                other => panic!("unknown column {other}"),
            };
            let event = |v: Value| ("POST", format!("/api/cases/{x}/events"), v.to_string());
            let (method, uri, body) = match cells[0] {
                "list" => ("GET", "/api/cases".to_owned(), String::new()),
                "queue_of_lead_unit" => ("GET", format!("/api/cases?unit={WANGJING}"), String::new()),
                "read_case" => ("GET", format!("/api/cases/{x}"), String::new()),
                "first_contact" => event(json!({"type": "first_contact"})),
                "redispatch" => event(json!({"type": "dispatched", "unit": WANGJING})),
                "exclude" => event(json!({"type": "excluded", "reason": "unreasonable"})),
                "revoke_exclusion" => event(json!({"type": "exclusion_revoked"})),
                "callback" => (
                    "POST",
                    format!("/api/cases/{y}/callback"),
                    json!({"resolved": true, "satisfaction": "satisfied"}).to_string(),
                ),
                "scores" => ("GET", "/api/scores?month=2026-11".to_owned(), String::new()),
                "hotspots" => ("GET", "/api/hotspots?month=2026-11".to_owned(), String::new()),
                "audit" => ("GET", format!("/api/audit?case={x}"), String::new()),
                "plugins" => ("GET", "/api/admin/plugins/110105".to_owned(), String::new()),
                "file_a_demand" => {
                    ("POST", "/api/cases".to_owned(), form("朝阳区望京西园三区", "2026-11-10T08:00:00+08:00"))
                }
                other => panic!("unknown row {other}"),
            };
            let (status, v) = send(&w.state, method, &uri, token, body).await;
            assert_eq!(status.as_str(), *want, "{} × {column}: {v}", cells[0]);
            if !status.is_success() {
                assert!(v["code"].is_string() && v["message"].is_string(), "{} × {column}: {v}", cells[0]);
            }
            walked += 1;
        }
    }
    assert_eq!(walked, 13 * 10);
    // The queue an operator gets holds its own unit's cases only.
    let (_, q) = send(&w.state, "GET", "/api/cases", Some(&w.op_sanlitun), String::new()).await;
    assert_eq!(q["cases"], json!([]), "{q}");
    let (_, q) = send(&w.state, "GET", "/api/cases", Some(&w.op_wangjing), String::new()).await;
    assert!(q["cases"].as_array().is_some_and(|c| c.len() >= 2 && c.iter().all(|r| r["lead"] == WANGJING)), "{q}");
}
