//! The staff console in real headless Chromium: a unit's operator signs in with a token (kept out of
//! the URL), sees the queue with its time limits, opens a case, reads why it was routed there, and
//! replies — after which the console offers nothing more, as the lifecycle says; the district admin's
//! dashboard shows the month's figures as `GET /api/scores` gives them, changes after the citizen's
//! callback, and exports each table as CSV holding the rows shown; in the district set-up a rule set
//! whose example fails is refused with the check's report, and a good one is activated; the case's
//! decisions replay identical on what decided them. axe-core finds no serious or
//! critical violation; screenshots go to `<target>/screenshots/console-*.png`.

use crate::browser::{Host, axe_run, host, host_on, screenshots, upload_signed, web_dir};
use minyi_auth::{NewToken, Role};
use minyi_tests::fixtures::{CHAOYANG_RULES, CHAOYANG_SCHEMA};
use minyi_tests::webdriver::Browser;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn call(host: &Host, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("http://{}{path}", host.addr);
    let req = match method {
        "GET" => ureq::get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .config()
            .http_status_as_error(false)
            .build()
            .call(),
        _ => ureq::post(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(body.unwrap_or(Value::Null)),
    };
    let mut res = req.expect("the API answers");
    let status = res.status().as_u16();
    (status, res.body_mut().read_json().unwrap_or_default())
}

fn wait(browser: &Browser, script: &str) -> Value {
    browser.wait_for(script, WAIT).unwrap_or_else(|e| {
        let page = browser.eval("return document.body.innerText").unwrap_or_default();
        panic!("the console never got to `{script}`: {e}; the page: {page}")
    })
}

fn text(browser: &Browser, css: &str) -> String {
    let v = browser.eval(&format!("return document.querySelector(\"{css}\")?.textContent ?? ''")).expect("reads");
    v.as_str().unwrap_or_default().to_owned()
}

fn click(browser: &Browser, css: &str) {
    let id = browser.find(css).unwrap_or_else(|e| panic!("{css}: {e}"));
    browser.click_element(&id).expect("clicks");
}

fn sign_in(browser: &Browser, token: &str) {
    wait(browser, "return document.querySelector('#token') !== null || null");
    browser.type_into("#token", token).expect("types the token");
    click(browser, "#sign-in");
    wait(browser, "return document.querySelector('#sign-out') !== null || null");
}

/// The city admin, a token for an operator of `unit` and one for 朝阳's district admin.
fn staff(host: &Host, unit: &str) -> (minyi_auth::Staff, String, String) {
    let city = host.admins.authenticate(&host.admins.create_admin(None, None).expect("bootstrap")).expect("city");
    let operator =
        NewToken { role: Some(Role::Operator), unit: Some(unit), name: Some("承办人"), ..NewToken::default() };
    let operator = host.admins.create(Some(&city), &operator).expect("operator").token;
    let district = host.admins.create_admin(Some(&city), Some("110105")).expect("district admin");
    (city, operator, district)
}

/// Headless Chromium on the console of the host at `base`.
fn open(base: &str) -> Browser {
    let chromium = std::env::var("MINYI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let browser = Browser::start(&chromium).expect("headless Chromium starts");
    browser.resize(1280, 1000).expect("resizes");
    browser.goto(&format!("{base}/console")).expect("the console loads");
    browser
}

/// Fills the set-up page's upload form of rule sets or schemas (`kind`) with `source` as `version`,
/// sends it, and waits for the version's row.
fn upload_data(browser: &Browser, kind: &str, source: &str, version: &str) {
    let script = format!(
        "for (const [id, v] of [['#{kind}-source', {}], ['#{kind}-version', {}]]) {{
           const e = document.querySelector(id); e.value = v; e.dispatchEvent(new Event('input')); }} return true",
        serde_json::to_string(source).expect("JSON"),
        serde_json::to_string(version).expect("JSON"),
    );
    browser.eval(&script).expect("fills the upload form");
    click(browser, &format!("#{kind}-upload"));
    wait(
        browser,
        &format!("return document.querySelector(\"#{kind}-versions tr[data-version='{version}']\") !== null || null"),
    );
}

/// The active versions of 朝阳's rule sets or schemas (`kind`), as the API lists them.
fn active_versions(host: &Host, kind: &str, token: &str) -> Vec<String> {
    let (status, versions) = call(host, "GET", &format!("/api/admin/districts/110105/{kind}"), token, None);
    assert_eq!(status, 200, "{versions}");
    let active = versions.as_array().into_iter().flatten().filter(|v| v["active"] == true);
    active.filter_map(|v| v["version"].as_str().map(str::to_owned)).collect()
}

/// axe-core over the whole console page: no serious or critical violation.
fn accessible(browser: &Browser, what: &str) {
    let list = axe_run(browser, "document");
    let grave: Vec<&Value> =
        list.iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect();
    assert!(grave.is_empty(), "axe-core on the console's {what}: {grave:#?}");
}

#[test]
fn an_operator_works_a_case_and_the_district_reads_the_rates_in_the_console() {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let host = host(&rt, web_dir(), Vec::new());
    let base = format!("http://{}", host.addr);
    // Two demands in 朝阳 through intake; the first one's lead unit gets an operator.
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let now = chrono::Utc::now().with_timezone(&beijing).to_rfc3339();
    let form = |title: &str| {
        json!({
            "district": "110105", "street": "110105026", "channel": "web", "kind": "complaint",
            "category": "urban.sanitation.garbage", "title": title,
            "description": "小区门口的垃圾桶已经满了三天，一直没人清运。", "address": "朝阳区望京西园三区",
            "reporter": {"phone": "13800138000"}, "consent": true, "received_at": now
        })
    };
    // The first came without a category: intake fills in the classifier's suggestion.
    let mut uncategorised = form("垃圾没人清运");
    uncategorised.as_object_mut().expect("an object").remove("category");
    let (status, first) = call(&host, "POST", "/api/cases", "", Some(uncategorised));
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["validation"]["normalized"]["category"], "urban.sanitation.garbage", "{first}");
    let (_, second) = call(&host, "POST", "/api/cases", "", Some(form("垃圾桶满了")));
    let (id, tracking) = (first["case_id"].as_str().expect("id"), first["tracking_token"].as_str().expect("token"));
    let lead = first["routing"]["lead"].as_str().expect("dispatched to a lead unit").to_owned();
    let (_, operator, district) = staff(&host, &lead);
    let browser = open(&base);
    wait(&browser, "return document.querySelector('#token') !== null || null");
    accessible(&browser, "sign-in page");

    // A wrong token is refused and named as such.
    browser.type_into("#token", "minyi_not_a_token").expect("types");
    click(&browser, "#sign-in");
    // Headless Chromium's language is English; the switch gives Chinese, the page's `lang` following.
    let refused = wait(&browser, "return document.querySelector('#sign-in-error .error')?.textContent || null");
    assert_eq!(refused.as_str(), Some("The token is not valid or was revoked."));
    click(&browser, ".lang-switch");
    let refused = wait(
        &browser,
        "const t = document.querySelector('#sign-in-error .error')?.textContent; return t?.includes('令牌无效') && document.documentElement.lang === 'zh-CN' ? t : null",
    );
    assert!(refused.is_string());
    browser.eval("document.querySelector('#token').value = ''; return true").expect("clears");

    // The operator: the queue, the token in this tab's session storage and never in the URL.
    sign_in(&browser, &operator);
    wait(&browser, &format!("return document.querySelector(\"#queue-table tr[data-case='{id}']\") !== null || null"));
    let (url, kept) = {
        let v = browser.eval("return [location.href, sessionStorage.getItem('minyi.console.token')]").expect("reads");
        (v[0].as_str().unwrap_or_default().to_owned(), v[1].as_str().unwrap_or_default().to_owned())
    };
    assert!(!url.contains(&operator) && kept == operator, "{url}");
    let rows = browser.eval("return document.querySelectorAll('#queue-table tbody tr').length").expect("reads");
    let (_, queue) = call(&host, "GET", "/api/cases", &operator, None);
    assert_eq!(
        rows.as_u64(),
        queue["cases"].as_array().map(|c| c.len() as u64),
        "the queue is the unit's, as the API lists it"
    );
    assert!(second["case_id"].is_string());
    let left = text(&browser, &format!("#queue-table tr[data-case='{id}'] td.left"));
    assert!(left.contains('天') || left.contains("小时"), "a countdown: {left:?}");
    browser.screenshot(&screenshots().join("console-queue.png")).expect("screenshot");
    accessible(&browser, "queue");

    // The case: its explanation as the API gives it, and the actions its state and role allow.
    click(&browser, &format!("#queue-table tr[data-case='{id}'] a"));
    wait(&browser, "return document.querySelector('#routing-lead') !== null || null");
    let (_, case) = call(&host, "GET", &format!("/api/cases/{id}"), &operator, None);
    let fired = case["decision"]["explanation"]["fired"][0]["rule"].as_str().expect("a rule fired").to_owned();
    assert!(text(&browser, "#fired").contains(&fired), "the rule that fired is shown");
    let misses = case["decision"]["explanation"]["near_misses"].as_array().map_or(0, Vec::len);
    let shown = browser.eval("return document.querySelectorAll('#near-misses li').length").expect("reads");
    assert_eq!(shown.as_u64(), Some(misses as u64));
    let offered =
        browser.eval("return [...document.querySelectorAll('#action option')].map(o => o.value)").expect("reads");
    assert_eq!(offered, case["actions"], "the console offers exactly the actions the service allows");
    // The timeline says the category was suggested, what was filled in and how sure the model was.
    let suggested = text(&browser, "#timeline li[data-type='category_suggested']");
    assert!(suggested.contains("智能分类建议") && suggested.contains("已填入 垃圾清运"), "{suggested}");
    assert!(suggested.contains("可能的分类：垃圾清运 ") && suggested.contains(" %"), "{suggested}");
    browser.screenshot(&screenshots().join("console-case.png")).expect("screenshot");
    accessible(&browser, "case page");

    // The reply, through the form.
    browser
        .eval("const s = document.querySelector('#action'); s.value = 'replied'; s.dispatchEvent(new Event('change')); return true")
        .expect("chooses");
    wait(&browser, "return document.querySelector('#a-message') !== null || null");
    browser.type_into("#a-message", "已安排清运，垃圾桶已清空。").expect("types");
    click(&browser, "#a-resolved");
    click(&browser, "#act");
    wait(&browser, "return document.querySelector(\"#timeline li[data-type='replied']\") !== null || null");
    let stored = host.store.get(id).expect("stored");
    assert_eq!(stored.state.as_str(), "replied");
    let reply = stored.events.iter().rev().find(|e| e.event.kind() == "replied").expect("a reply event");
    assert!(serde_json::to_string(&reply.event).expect("json").contains("已安排清运"), "{reply:?}");
    wait(&browser, "return document.querySelector('#no-actions') !== null || null");

    // The district admin's dashboard: the month's figures as the API gives them.
    click(&browser, "#sign-out");
    sign_in(&browser, &district);
    click(&browser, "#nav-dashboard");
    wait(&browser, "return document.querySelector('#dash-cases') !== null || null");
    let month = browser.eval("return document.querySelector('#month').value").expect("reads");
    let month = month.as_str().expect("a month").to_owned();
    let row = |browser: &Browser| -> Vec<String> {
        let v = browser
            .eval(&format!(
                "return [...document.querySelectorAll(\"tr[data-key='{lead}'] td\")].map(td => td.textContent)"
            ))
            .expect("reads");
        v.as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_owned)).collect()
    };
    let expected = |scores: &Value| -> Vec<String> {
        let unit = ["streets", "departments"]
            .iter()
            .flat_map(|l| scores[*l].as_array().cloned().unwrap_or_default())
            .find(|u| u["unit"] == lead.as_str())
            .expect("the lead unit is ranked");
        let pct = |k: &str| format!("{:.1}%", unit[k].as_f64().unwrap_or(0.0) * 100.0);
        vec![
            unit["cases"].to_string(),
            pct("response_rate"),
            pct("resolution_rate"),
            pct("satisfaction_rate"),
            format!("{:.3}", unit["composite"].as_f64().unwrap_or(0.0)),
        ]
    };
    // The district's own line, as the service computed it (`overall`).
    let overall = |scores: &Value| -> Vec<String> {
        let o = &scores["overall"];
        let pct = |k: &str| format!("{:.1}%", o[k].as_f64().unwrap_or(f64::NAN) * 100.0);
        vec![
            pct("response_rate"),
            pct("resolution_rate"),
            pct("satisfaction_rate"),
            format!("{:.3}", o["composite"].as_f64().unwrap_or(f64::NAN)),
        ]
    };
    let overall_shown = |browser: &Browser| -> Vec<String> {
        ["#overall-response", "#overall-resolution", "#overall-satisfaction", "#overall-composite"]
            .iter()
            .map(|css| text(browser, css))
            .collect()
    };
    let (_, before) = call(&host, "GET", &format!("/api/scores?month={month}"), &district, None);
    assert_eq!(text(&browser, "#dash-cases"), before["cases"].to_string());
    assert_eq!(overall_shown(&browser), overall(&before), "{}", before["overall"]);
    let line = text(&browser, "#dash-overall");
    assert!(line.starts_with("全区："), "the district's line, in the page's language (zh-CN since the switch): {line}");
    let shown = row(&browser);
    assert_eq!(shown.get(3..8).map(<[String]>::to_vec), Some(expected(&before)), "{shown:?}");

    // The citizen answers the callback; the dashboard, refreshed, shows the new figures.
    let (status, answer) = call(
        &host,
        "POST",
        &format!("/api/cases/{id}/callback"),
        tracking,
        Some(json!({"resolved": true, "satisfaction": "satisfied"})),
    );
    assert!(status == 200 || status == 201, "{answer}");
    click(&browser, "#dash-refresh");
    let (_, after) = call(&host, "GET", &format!("/api/scores?month={month}"), &district, None);
    assert_ne!(expected(&before), expected(&after), "the callback changes the unit's figures");
    let want = expected(&after);
    browser
        .wait_for(
            &format!(
                "const r = [...document.querySelectorAll(\"tr[data-key='{lead}'] td\")].map(td => td.textContent); return r[6] === '{}' || null",
                want[3]
            ),
            WAIT,
        )
        .expect("the dashboard shows the new satisfaction rate");
    assert_eq!(row(&browser).get(3..8).map(<[String]>::to_vec), Some(want));
    assert_ne!(overall(&before), overall(&after), "the callback changes the district's figures");
    assert_eq!(overall_shown(&browser), overall(&after));
    let series =
        browser.eval("return document.querySelectorAll('#trend-overall g[data-series]').length").expect("reads");
    assert_eq!(series.as_u64(), Some(4), "the district's rates and composite, month by month");
    // Month by month: the composite of the best streets, and one unit's three rates and composite.
    let series = browser.eval("return document.querySelectorAll('#trend-rates g[data-series]').length").expect("reads");
    assert_eq!(series.as_u64(), Some(4), "response, resolution, satisfaction, composite");
    // 每月一题 candidates and hotspots as `GET /api/hotspots` gives them.
    let (_, hot) = call(&host, "GET", &format!("/api/hotspots?month={month}"), &district, None);
    let topics: Vec<&str> =
        hot["topics"].as_array().into_iter().flatten().filter_map(|t| t["category"].as_str()).collect();
    let shown = browser
        .eval("return [...document.querySelectorAll('#table-topics tbody tr')].map(tr => tr.dataset.key)")
        .expect("reads");
    assert_eq!(shown, json!(topics), "the topics, in the service's order");
    browser.screenshot(&screenshots().join("console-dashboard.png")).expect("screenshot");
    accessible(&browser, "dashboard");

    // CSV export: the download holds the table's rows, cell for cell.
    let table = browser
        .eval("const id = document.querySelector(\"tr[data-key]\").closest('section').querySelector('table').id;
               return [id, [...document.querySelectorAll('#' + id + ' tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent))]")
        .expect("reads");
    let id_of_table = table[0].as_str().expect("a table").trim_start_matches("table-").to_owned();
    let csv = browser
        .eval_async(&format!(
            "const done = arguments[0]; fetch(document.querySelector('#csv-{id_of_table}').href).then(r => r.text()).then(done, e => done(String(e)));"
        ))
        .expect("downloads");
    let csv = csv.as_str().expect("text").trim_start_matches('\u{feff}').to_owned();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    let rows = table[1].as_array().expect("rows");
    assert_eq!(lines.len(), rows.len() + 1, "a header and every row: {csv}");
    for (line, cells) in lines[1..].iter().zip(rows) {
        let cells: Vec<&str> = cells.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert_eq!(*line, cells.join(","), "the CSV row is the table's");
    }
    // The district set-up: a rule set whose example fails is refused with the check's report; a good
    // one is activated, as the API then says.
    click(&browser, "#nav-admin");
    wait(&browser, "return document.querySelector('#rules-upload') !== null || null");
    let upload = |source: &str, version: &str| upload_data(&browser, "rules", source, version);
    let failing = CHAOYANG_RULES.replace("expect = { lead = \"110105.hwz\" }", "expect = { lead = \"110105026\" }");
    upload(&failing, "0.1-wrong");
    click(&browser, "#rules-versions tr[data-version='0.1-wrong'] button.activate");
    let refusal = wait(&browser, "return document.querySelector('#rules-outcome .refusal')?.textContent || null");
    let refusal = refusal.as_str().unwrap_or_default();
    assert!(
        refusal.starts_with("data.refused") && refusal.contains("FAIL Wangjing garbage goes to the station"),
        "{refusal}"
    );
    upload(CHAOYANG_RULES, "1.0");
    click(&browser, "#rules-versions tr[data-version='1.0'] button.activate");
    wait(&browser, "return document.querySelector('#rules-outcome .done')?.textContent.includes('1.0') || null");
    assert_eq!(active_versions(&host, "rules", &district), ["1.0"]);
    browser.screenshot(&screenshots().join("console-admin.png")).expect("screenshot");
    accessible(&browser, "district set-up");

    // The case's decisions run again from its page, as the API answers.
    browser.goto(&format!("{base}/console#/case/{id}")).expect("the case page loads");
    wait(&browser, "return document.querySelector('#replay') !== null || null");
    click(&browser, "#replay");
    wait(&browser, "return document.querySelector('#replay-steps tbody tr') !== null || null");
    let (status, replay) = call(&host, "GET", &format!("/api/cases/{id}/replay"), &district, None);
    assert_eq!(status, 200, "{replay}");
    let rows = browser
        .eval("return [...document.querySelectorAll('#replay-steps tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent))")
        .expect("reads");
    let steps = replay["steps"].as_array().expect("steps");
    assert_eq!(rows.as_array().map(Vec::len), Some(steps.len()), "{rows}");
    // The case was routed by the city's set, which is also today's for it: identical both ways.
    for (row, step) in rows.as_array().into_iter().flatten().zip(steps) {
        let want = (step["step"].as_str(), step["recorded"]["verdict"].as_str(), step["today"]["verdict"].as_str());
        assert_eq!((row[0].as_str(), row[1].as_str(), row[2].as_str()), want, "{row}");
        assert_eq!(row[1].as_str(), Some("identical"), "{row}");
    }
    assert!(rows.as_array().into_iter().flatten().any(|r| r[0] == "route"), "the routing decision is replayed");
    let (status, _) = call(&host, "GET", &format!("/api/cases/{id}/replay"), &operator, None);
    assert_eq!(status, 403, "a unit does not replay decisions");

    for shot in ["console-queue.png", "console-case.png", "console-dashboard.png", "console-admin.png"] {
        let size = std::fs::metadata(screenshots().join(shot)).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{shot}: {size} bytes");
    }
}

/// What the district's plugin versions look like to the API: `(version, active, disabled)` each.
fn plugin_states(host: &Host, token: &str) -> Vec<(String, bool, bool)> {
    let (status, list) = call(host, "GET", "/api/admin/plugins/110105", token, None);
    assert_eq!(status, 200, "{list}");
    let mut rows: Vec<(String, bool, bool)> = list["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| (v["version"].as_str().unwrap_or_default().to_owned(), v["active"] == true, v["disabled"].is_string()))
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_queue_flags_late_cases_and_a_district_admin_runs_schemas_plugins_and_tokens_in_the_console() {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let now = chrono::Utc::now().with_timezone(&beijing);
    // The service's clock is set back to receive demands days ago, through the same intake.
    let clock = minyi_server::clock::Clock::fixed(now - chrono::Duration::days(40));
    let host = host_on(&rt, web_dir(), Vec::new(), clock.clone());
    let base = format!("http://{}", host.addr);

    // The console page runs under a policy that lets no inline or foreign script run.
    let page = ureq::get(&format!("{base}/console")).call().expect("the console page");
    let policy = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    for part in ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'"] {
        assert!(policy.contains(part), "{part} in {policy:?}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");

    // Three demands of one street and category: one long overdue, one with 90 % of its time gone,
    // one new. The reply limit is what routing gave the first.
    let submit = |phone: &str| -> Value {
        let at = clock.now().to_rfc3339();
        let form = json!({
            "district": "110105", "street": "110105026", "channel": "web", "kind": "complaint",
            "category": "urban.sanitation.garbage", "title": "垃圾没人清运",
            "description": "小区门口的垃圾桶已经满了三天，一直没人清运。", "address": "朝阳区望京西园三区",
            "reporter": {"phone": phone}, "consent": true, "received_at": at
        });
        let (status, report) = call(&host, "POST", "/api/cases", "", Some(form));
        assert_eq!(status, 201, "{report}");
        report
    };
    let overdue = submit("13800138001");
    let received =
        chrono::DateTime::parse_from_rfc3339(overdue["received_at"].as_str().expect("received")).expect("RFC 3339");
    let deadline = chrono::DateTime::parse_from_rfc3339(overdue["routing"]["deadline"].as_str().expect("a deadline"))
        .expect("RFC 3339");
    let limit = deadline - received;
    assert!(limit < chrono::Duration::days(40), "the first demand is overdue by now: {limit}");
    clock.set(now - limit * 9 / 10);
    let warning = submit("13800138002");
    clock.set(now);
    let fresh = submit("13800138003");
    let lead = overdue["routing"]["lead"].as_str().expect("dispatched").to_owned();
    for other in [&warning, &fresh] {
        assert_eq!(other["routing"]["lead"].as_str(), Some(lead.as_str()), "{other}");
    }
    let (city, operator, district) = staff(&host, &lead);
    let browser = open(&base);
    sign_in(&browser, &operator);
    let ids = [&overdue, &warning, &fresh].map(|r| r["case_id"].as_str().expect("id").to_owned());
    wait(&browser, "return document.querySelectorAll('#queue-table tbody tr').length === 3 || null");
    // Sorted by time left, the overdue one first; each late row marked, in words and in colour.
    let rows = browser
        .eval(
            "return [...document.querySelectorAll('#queue-table tbody tr')].map(tr => [tr.dataset.case, tr.className,
               getComputedStyle(tr).backgroundColor, tr.querySelector('td.left').textContent])",
        )
        .expect("reads");
    let rows = rows.as_array().expect("rows");
    let cell = |r: usize, c: usize| rows[r][c].as_str().unwrap_or_default().to_owned();
    assert_eq!([cell(0, 0), cell(1, 0), cell(2, 0)], ids, "{rows:?}");
    assert!(
        cell(0, 1).contains("overdue") && cell(0, 3).starts_with("Overdue by ") && !cell(0, 3).contains('-'),
        "{rows:?}"
    );
    assert!(cell(1, 1).contains("warning") && cell(1, 3).starts_with("Due soon"), "{rows:?}");
    assert!(!cell(2, 1).contains("overdue") && !cell(2, 1).contains("warning"), "{rows:?}");
    let colours = [cell(0, 2), cell(1, 2), cell(2, 2)];
    assert!(colours[0] != colours[2] && colours[1] != colours[2] && colours[0] != colours[1], "{colours:?}");
    let (_, listed) = call(&host, "GET", "/api/cases", &operator, None);
    let flags: Vec<(bool, bool)> = ids
        .iter()
        .map(|id| {
            let c = listed["cases"].as_array().into_iter().flatten().find(|c| c["case_id"] == id.as_str());
            c.map_or((false, false), |c| (c["overdue"] == true, c["warning"] == true))
        })
        .collect();
    assert_eq!(flags, [(true, true), (false, true), (false, false)], "as the API flags them");
    browser.screenshot(&screenshots().join("console-queue-late.png")).expect("screenshot");
    accessible(&browser, "queue with late cases");

    // Two signed versions of 朝阳's plugin, uploaded as its admin does; neither runs yet.
    let admin = host.admins.authenticate(&district).expect("district admin");
    let (key, public) = minyi_registry::signing::generate().expect("key");
    host.plugins.registry.trust_key(&city, "110105", &public).expect("trust");
    for version in ["1.0.0", "1.1.0"] {
        let plugin = ("110105", "chaoyang-heating", version);
        upload_signed(&host, &admin, &key, plugin, "chaoyang_heating", vec![minyi_registry::Hook::Routing]);
    }

    click(&browser, "#sign-out");
    sign_in(&browser, &district);
    click(&browser, "#nav-admin");

    // The district's own form schema: uploaded and activated from the page.
    wait(&browser, "return document.querySelector('#schema-upload') !== null || null");
    upload_data(&browser, "schema", CHAOYANG_SCHEMA, "1");
    click(&browser, "#schema-versions tr[data-version='1'] button.activate");
    wait(&browser, "return document.querySelector('#schema-outcome .done')?.textContent.includes('1') || null");
    assert_eq!(active_versions(&host, "schema", &district), ["1"]);

    // The plugin: activated, upgraded, rolled back and disabled from the page, as the API then says.
    let plugin_button =
        |version: &str, class: &str| format!("#plugin-versions tr[data-version='{version}'] button.{class}");
    let act = |css: String, want: Vec<(String, bool, bool)>| {
        wait(&browser, &format!("return document.querySelector(\"{css}\") !== null || null"));
        click(&browser, &css);
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let states = plugin_states(&host, &district);
            if states == want {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "after {css}: {states:?}, not {want:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let s = |v: &str, active: bool, disabled: bool| (v.to_owned(), active, disabled);
    assert_eq!(plugin_states(&host, &district), [s("1.0.0", false, false), s("1.1.0", false, false)]);
    act(plugin_button("1.0.0", "activate"), vec![s("1.0.0", true, false), s("1.1.0", false, false)]);
    act(plugin_button("1.1.0", "activate"), vec![s("1.0.0", false, false), s("1.1.0", true, false)]);
    act("#plugin-rollback".to_owned(), vec![s("1.0.0", true, false), s("1.1.0", false, false)]);
    act(plugin_button("1.0.0", "disable"), vec![s("1.0.0", true, true), s("1.1.0", false, false)]);
    wait(
        &browser,
        "return document.querySelector(\"#plugin-versions tr[data-version='1.0.0']\")?.textContent.includes('Disabled') || null",
    );

    // A token for a new operator of the unit: made on the page, its secret shown this once, working at
    // the API; revoked on the page, refused from then on.
    browser
        .eval(&format!(
            "const u = document.querySelector('#token-unit'); u.value = '{lead}'; u.dispatchEvent(new Event('input'));
             const n = document.querySelector('#token-name'); n.value = '新承办人'; n.dispatchEvent(new Event('input')); return true"
        ))
        .expect("fills the token form");
    click(&browser, "#token-create");
    let made = wait(&browser, "return document.querySelector('#tokens-outcome .done')?.textContent || null");
    let made = made.as_str().unwrap_or_default();
    let (id, secret) = made
        .split_once(' ')
        .map(|(id, rest)| (id, rest.rsplit(' ').next().unwrap_or_default()))
        .expect("id and secret");
    assert!(secret.starts_with("minyi_"), "{made}");
    let (status, _) = call(&host, "GET", "/api/cases", secret, None);
    assert_eq!(status, 200, "the new operator's token works");
    wait(
        &browser,
        &format!("return document.querySelector(\"#tokens tr[data-token='{id}'] button.revoke\") !== null || null"),
    );
    accessible(&browser, "district set-up with a plugin and tokens");
    browser.screenshot(&screenshots().join("console-admin-plugins.png")).expect("screenshot");
    click(&browser, &format!("#tokens tr[data-token='{id}'] button.revoke"));
    wait(
        &browser,
        &format!("return document.querySelector(\"#tokens tr[data-token='{id}'] button.revoke\") === null || null"),
    );
    let (status, refused) = call(&host, "GET", "/api/cases", secret, None);
    assert_eq!(status, 401, "a revoked token is refused: {refused}");
}
