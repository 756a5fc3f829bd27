//! The 三率 dashboard: a month's ranking as `GET /api/scores` answers it (the caller's district for a
//! district admin; any for the city) — the composite of each unit as a bar chart (SVG, drawn from the
//! answer's numbers), the ranking tables of streets and departments with their trend, and each table as
//! a CSV download of exactly the rows shown.

use crate::session::{Me, Session};
use leptos::prelude::*;
use minyi_client::http::Failed;
use minyi_client::i18n::{Lang, unit_name};
use minyi_model::{Ranking, UnitScore};
use wasm_bindgen::JsValue;

/// This month in Beijing, `YYYY-MM`.
fn this_month() -> String {
    let beijing = js_sys::Date::new(&JsValue::from_f64(js_sys::Date::now() + 8.0 * 3600.0 * 1000.0));
    format!("{:04}-{:02}", beijing.get_utc_full_year(), beijing.get_utc_month() + 1)
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The table's columns: header (zh, en) and the cell of a unit.
type Column = (&'static str, &'static str, fn(&UnitScore) -> String);

const COLUMNS: [Column; 9] = [
    ("排名", "Rank", |u| u.rank.map(|r| r.to_string()).unwrap_or_else(|| "—".into())),
    ("单位代码", "Unit code", |u| u.unit.clone()),
    ("单位", "Unit", |u| unit_name(&u.unit)),
    ("案件数", "Cases", |u| u.cases.to_string()),
    ("响应率", "Response rate", |u| percent(u.response_rate)),
    ("解决率", "Resolution rate", |u| percent(u.resolution_rate)),
    ("满意率", "Satisfaction rate", |u| percent(u.satisfaction_rate)),
    ("综合得分", "Composite", |u| format!("{:.3}", u.composite)),
    ("较上月", "Change", |u| u.trend.as_ref().map(|t| format!("{:+.3}", t.composite_change)).unwrap_or_default()),
];

/// The rows as CSV (RFC 4180; a UTF-8 BOM so spreadsheet programs read the Chinese names).
pub fn csv(lang: Lang, units: &[UnitScore]) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
    };
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = COLUMNS.iter().map(|(zh, en, _)| field(lang.pick(zh, en))).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for u in units {
        let row: Vec<String> = COLUMNS.iter().map(|(_, _, cell)| field(&cell(u))).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A `blob:` URL holding `text` as CSV.
fn blob_url(text: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// The dashboard page.
#[component]
pub fn DashboardPage(me: Me) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let month = RwSignal::new(this_month());
    let ranking = RwSignal::new(None::<Result<Ranking, Failed>>);
    let load = move || {
        let path = format!("/api/scores?month={}", minyi_client::http::encode(&month.get_untracked()));
        leptos::task::spawn_local(async move {
            ranking.set(Some(session.call("GET", &path, None, &[200]).await));
        });
    };
    load();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let scope =
        me.district.clone().map_or_else(|| ("全市".to_owned(), "All districts".to_owned()), |d| (unit_name(&d), d));
    view! {
        <section class="dashboard" aria-labelledby="dash-title">
            <h1 id="dash-title">{t("三率看板", "Response, resolution, satisfaction")}" · "{move || lang.get().pick(&scope.0, &scope.1).to_owned()}</h1>
            <form class="filters" on:submit=move |ev| { ev.prevent_default(); load(); }>
                <label for="month">{t("月份", "Month")}</label>
                <input id="month" type="month" prop:value=move || month.get() on:change=move |ev| { month.set(event_target_value(&ev)); load(); }/>
                <button type="submit" id="dash-refresh">{t("刷新", "Refresh")}</button>
            </form>
            {move || match ranking.get() {
                None => view! { <p role="status">{t("加载中……", "Loading…")}</p> }.into_any(),
                Some(Err(f)) => view! { <p role="alert" class="error">{f.message}</p> }.into_any(),
                Some(Ok(r)) => view! { <Report ranking=r/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Report(ranking: Ranking) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let period = ranking.period.clone();
    view! {
        <p id="dash-summary">{t("本月案件：", "Cases this month: ")}<strong id="dash-cases">{ranking.cases}</strong>
            " · "{t("未派单：", "Not dispatched: ")}{ranking.unassigned}</p>
        <Chart units=ranking.streets.clone() weights=(ranking.config.response_weight, ranking.config.resolution_weight, ranking.config.satisfaction_weight)/>
        <Table id="streets" title=("街道乡镇排名", "Streets and townships") units=ranking.streets period=period.clone()/>
        <Table id="departments" title=("部门排名", "Departments") units=ranking.departments period=period/>
    }
}

/// The composite of the best-ranked units (then the unranked, best first) as horizontal bars.
#[component]
fn Chart(units: Vec<UnitScore>, weights: (f64, f64, f64)) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    // The ranked ones by rank, then those below the minimum sample by their composite.
    let mut ranked = units;
    ranked.sort_by(|a, b| {
        (a.rank.is_none(), a.rank).cmp(&(b.rank.is_none(), b.rank)).then(b.composite.total_cmp(&a.composite))
    });
    ranked.truncate(15);
    let (row, label, width) = (22.0, 190.0, 420.0);
    let height = row * ranked.len() as f64 + 10.0;
    view! {
        <figure class="chart">
            <svg id="chart" role="img" viewBox=format!("0 0 {} {height}", label + width + 60.0) width="100%"
                aria-label=move || lang.get().pick("街道综合得分（前15名）", "Street composite scores (top 15)").to_owned()>
                {ranked.iter().enumerate().map(|(i, u)| {
                    let y = 5.0 + row * i as f64;
                    let w = (u.composite.clamp(0.0, 1.0) * width).max(1.0);
                    view! {
                        <g data-unit=u.unit.clone()>
                            <text x=label - 6.0 y=y + 15.0 text-anchor="end" font-size="12">{unit_name(&u.unit)}</text>
                            <rect x=label y=y + 3.0 width=w height=row - 6.0 fill="#1f5fae"></rect>
                            <text x=label + w + 4.0 y=y + 15.0 font-size="12">{format!("{:.3}", u.composite)}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
            <figcaption>{move || {
                let (a, b, c) = weights;
                match lang.get() {
                    Lang::Zh => format!("综合得分 = 响应率×{a} + 解决率×{b} + 满意率×{c}（前15名街道乡镇）"),
                    Lang::En => format!("Composite = {a} × response + {b} × resolution + {c} × satisfaction (top 15 streets)"),
                }
            }}</figcaption>
        </figure>
    }
}

#[component]
fn Table(
    id: &'static str,
    title: (&'static str, &'static str),
    units: Vec<UnitScore>,
    period: String,
) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let units = StoredValue::new(units);
    let href = move || units.with_value(|u| blob_url(&csv(lang.get(), u))).unwrap_or_default();
    let file = format!("minyi-{period}-{id}.csv");
    view! {
        <section aria-labelledby=format!("{id}-title")>
            <h2 id=format!("{id}-title")>{move || lang.get().pick(title.0, title.1).to_owned()}</h2>
            <p><a id=format!("csv-{id}") href=href download=file>{move || lang.get().pick("导出 CSV", "Export CSV").to_owned()}</a></p>
            <table id=format!("table-{id}")>
                <thead><tr>
                    {COLUMNS.iter().map(|&(zh, en, _)| view! { <th scope="col">{move || lang.get().pick(zh, en).to_owned()}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {units.with_value(|us| us.iter().map(|u| view! {
                        <tr data-unit=u.unit.clone()>
                            {COLUMNS.iter().map(|(_, _, cell)| view! { <td>{cell(u)}</td> }).collect_view()}
                        </tr>
                    }).collect_view())}
                </tbody>
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_quotes_what_needs_quoting() {
        let unit: minyi_model::UnitScore = serde_json::from_value(serde_json::json!({
            "unit": "a,\"b\"", "unit_type": "department", "cases": 3, "replied": 3, "replied_on_time": 3,
            "on_time_rate": 1.0, "responded": 3, "resolved": 2, "valid": 3, "excluded": 0, "satisfied": 2,
            "basically_satisfied": 1, "dissatisfied": 0, "response_rate": 1.0, "resolution_rate": 0.6667,
            "satisfaction_rate": 0.9667, "composite": 0.835, "rank": 1, "trend": null
        }))
        .expect("a unit score");
        let text = super::csv(minyi_client::i18n::Lang::En, &[unit]);
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Rank,Unit code,Unit,Cases,Response rate,Resolution rate,Satisfaction rate,Composite,Change"
        );
        assert_eq!(lines[1], "1,\"a,\"\"b\"\"\",\"a,\"\"b\"\"\",3,100.0%,66.7%,96.7%,0.835,");
    }
}
