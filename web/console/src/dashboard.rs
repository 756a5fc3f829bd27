//! The 三率 dashboard: a month's ranking as `GET /api/scores` answers it (the caller's district for a
//! district admin; any for the city) — the composite of each unit as a bar chart (SVG, drawn from the
//! answer's numbers), the ranking tables of streets and departments with their trend, and each table as
//! a CSV download of exactly the rows shown.

use crate::queue::Listed;
use crate::session::{Me, Session};
use leptos::prelude::*;
use minyi_client::http::Failed;
use minyi_client::i18n::{Lang, minutes, unit_name};
use minyi_model::{Counted, Hotspot, HotspotReport, Ranking, Topic, UnitScore, categories};
use wasm_bindgen::JsValue;

/// This month in Beijing, `YYYY-MM`.
fn this_month() -> String {
    let beijing = js_sys::Date::new(&JsValue::from_f64(js_sys::Date::now() + 8.0 * 3600.0 * 1000.0));
    format!("{:04}-{:02}", beijing.get_utc_full_year(), beijing.get_utc_month() + 1)
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A table's column (or a chart's figure): its header (zh, en) and the cell of a row.
type Column<T, V = String> = (&'static str, &'static str, fn(&T) -> V);

fn counted(list: &[Counted]) -> String {
    list.iter().map(|c| format!("{}×{}", unit_name(&c.id), c.count)).collect::<Vec<_>>().join(" ")
}

const UNITS: [Column<UnitScore>; 9] = [
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

/// 每月一题 candidates: the service's topics, in its order.
const TOPICS: [Column<Topic>; 9] = [
    ("类别代码", "Category code", |t| t.category.clone()),
    ("类别", "Category", |t| {
        categories::leaf(&t.category).map_or_else(|| t.category.clone(), |c| c.zh_cn.to_owned())
    }),
    ("本月", "This month", |t| t.count.to_string()),
    ("上月", "Last month", |t| t.previous_count.to_string()),
    ("超出基线", "Above baseline", |t| format!("{:.1}", t.excess)),
    ("涉及区域", "Areas", |t| t.areas.to_string()),
    ("最多的区域", "Top areas", |t| counted(&t.top_areas)),
    ("重复诉求", "Repeat cases", |t| t.repeat_cases.to_string()),
    ("回访／不满意", "Callbacks / dissatisfied", |t| format!("{}/{}", t.callbacks, t.dissatisfied)),
];

/// Area × category cells far above their baseline.
const HOTSPOTS: [Column<Hotspot>; 6] = [
    ("区域", "Area", |h| unit_name(&h.area)),
    ("类别", "Category", |h| h.category.clone()),
    ("本月", "This month", |h| h.count.to_string()),
    ("期望", "Expected", |h| format!("{:.2}", h.expected)),
    ("倍数", "Ratio", |h| format!("{:.1}", h.ratio)),
    ("p 值", "p-value", |h| format!("{:.2e}", h.p_value)),
];

/// Cases past their reply deadline, as the listing marks them.
const OVERDUE: [Column<Listed>; 5] = [
    ("案件编号", "Case", |c| c.case_id.clone()),
    ("类别", "Category", |c| c.category.clone().unwrap_or_default()),
    ("承办单位", "Lead unit", |c| c.lead.as_deref().map(unit_name).unwrap_or_default()),
    ("答复时限", "Deadline", |c| c.deadline.as_deref().map(minutes).unwrap_or_default()),
    ("超时", "Overdue by", |c| c.time_left_s.map(|s| crate::duration(Lang::Zh, -s)).unwrap_or_default()),
];

/// The rows as CSV (RFC 4180; a UTF-8 BOM so spreadsheet programs read the Chinese names).
pub fn csv<T>(lang: Lang, columns: &[Column<T>], rows: &[T]) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
    };
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = columns.iter().map(|(zh, en, _)| field(lang.pick(zh, en))).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        let row: Vec<String> = columns.iter().map(|(_, _, cell)| field(&cell(r))).collect();
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

/// The month before `month` (`YYYY-MM`).
fn previous(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    Some(if m <= 1 { format!("{:04}-12", y - 1) } else { format!("{y:04}-{:02}", m - 1) })
}

/// How many months the trend chart spans, the chosen one last.
const TREND_MONTHS: usize = 6;

/// The dashboard page.
#[component]
pub fn DashboardPage(me: Me) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let month = RwSignal::new(this_month());
    let ranking = RwSignal::new(None::<Result<Ranking, Failed>>);
    let hotspots = RwSignal::new(None::<Result<HotspotReport, Failed>>);
    let overdue = RwSignal::new(None::<Result<Vec<Listed>, Failed>>);
    // The months before, oldest first: (month, its ranking) — for the trend chart.
    let history = RwSignal::new(Vec::<(String, Ranking)>::new());
    let load = move || {
        let m = month.get_untracked();
        let q = minyi_client::http::encode(&m);
        leptos::task::spawn_local(async move {
            ranking.set(Some(session.call("GET", &format!("/api/scores?month={q}"), None, &[200]).await));
            hotspots.set(Some(session.call("GET", &format!("/api/hotspots?month={q}"), None, &[200]).await));
            let listed: Result<crate::queue::CaseList, Failed> =
                session.call("GET", "/api/cases?limit=1000", None, &[200]).await;
            overdue.set(Some(listed.map(|l| l.cases.into_iter().filter(|c| c.overdue == Some(true)).collect())));
            let mut months = vec![m];
            while months.len() < TREND_MONTHS {
                let Some(before) = months.last().and_then(|m| previous(m)) else { break };
                months.push(before);
            }
            let mut past = Vec::new();
            for m in months.into_iter().rev() {
                let path = format!("/api/scores?month={}", minyi_client::http::encode(&m));
                if let Ok(r) = session.call::<Ranking>("GET", &path, None, &[200]).await {
                    past.push((m, r));
                }
            }
            history.set(past);
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
            {move || (history.get().len() > 1).then(|| view! { <Trend history=history.get()/> })}
            {move || match hotspots.get() {
                Some(Ok(h)) => {
                    let period = h.period.clone();
                    view! {
                        <Table id="topics" title=("每月一题候选", "Topic of the month: candidates") columns=&TOPICS rows=h.topics key=|t: &Topic| t.category.clone() period=period.clone()/>
                        <Table id="hotspots" title=("热点（区域×类别）", "Hotspots (area × category)") columns=&HOTSPOTS rows=h.hotspots key=|h: &Hotspot| format!("{}:{}", h.area, h.category) period=period/>
                        <p class="hint">{h.statistic}</p>
                        {h.warnings.into_iter().map(|w| view! { <p class="hint">{w}</p> }).collect_view()}
                    }.into_any()
                }
                Some(Err(f)) => view! { <p role="alert" class="error">{f.message}</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || overdue.get().and_then(Result::ok).map(|cases| view! {
                <Table id="overdue" title=("超时未答复", "Overdue, not replied") columns=&OVERDUE rows=cases key=|c: &Listed| c.case_id.clone() period=month.get_untracked()/>
            })}
        </section>
    }
}

/// One line of a chart: its name, its colour, its value per month (none where the unit had no cases).
type Series = (String, &'static str, Vec<Option<f64>>);

const COLOURS: [&str; 5] = ["#1f5fae", "#b3261e", "#2e7d32", "#7a4f00", "#6a1b9a"];

/// Values between 0 and 1 month by month, as lines (SVG).
#[component]
fn LineChart(
    id: &'static str,
    months: Vec<String>,
    series: Vec<Series>,
    caption: (&'static str, &'static str),
) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let (left, top, width, height) = (40.0, 10.0, 560.0, 180.0);
    let step = width / (months.len().max(2) - 1) as f64;
    let x = move |i: usize| left + step * i as f64;
    let y = move |v: f64| top + height * (1.0 - v.clamp(0.0, 1.0));
    let lines = series
        .into_iter()
        .enumerate()
        .map(|(k, (name, colour, values))| {
            let at: Vec<(f64, f64)> = values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (x(i), y(v)))).collect();
            let points: Vec<String> = at.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let series = name.clone();
            view! {
                <g data-series=series>
                    <polyline points=points.join(" ") fill="none" stroke=colour stroke-width="2"></polyline>
                    // A dot on each month with a figure: a month alone, with no line to draw, still shows.
                    {at.into_iter().map(|(x, y)| view! { <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="3" fill=colour></circle> }).collect_view()}
                    <text x=left + width + 8.0 y=top + 14.0 * k as f64 + 10.0 font-size="12" fill=colour>{name}</text>
                </g>
            }
        })
        .collect_view();
    let labels = months
        .iter()
        .enumerate()
        .map(|(i, m)| view! { <text x=x(i) y=top + height + 16.0 text-anchor="middle" font-size="11">{m.clone()}</text> })
        .collect_view();
    view! {
        <figure class="chart">
            <svg id=id role="img" viewBox=format!("0 0 {} {}", left + width + 180.0, top + height + 24.0) width="100%"
                aria-label=move || lang.get().pick(caption.0, caption.1).to_owned()>
                {[0.0, 0.5, 1.0].into_iter().map(|v| view! {
                    <g><line x1=left x2=left + width y1=y(v) y2=y(v) stroke="#d0d5dc"></line>
                    <text x=left - 6.0 y=y(v) + 4.0 text-anchor="end" font-size="11">{format!("{v:.1}")}</text></g>
                }).collect_view()}
                {lines}
                {labels}
            </svg>
            <figcaption>{move || lang.get().pick(caption.0, caption.1).to_owned()}</figcaption>
        </figure>
    }
}

/// Month by month: the composite of the chosen month's five best streets, and the three rates and the
/// composite of one unit (chosen in a list), each figure as `GET /api/scores` gave it for that month.
#[component]
fn Trend(history: Vec<(String, Ranking)>) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let Some((_, last)) = history.last() else { return ().into_any() };
    let mut best: Vec<&UnitScore> = last.streets.iter().collect();
    best.sort_by(|a, b| {
        (a.rank.is_none(), a.rank).cmp(&(b.rank.is_none(), b.rank)).then(b.composite.total_cmp(&a.composite))
    });
    let units: Vec<String> = best.iter().map(|u| u.unit.clone()).collect();
    let months: Vec<String> = history.iter().map(|(m, _)| m.clone()).collect();
    let history = StoredValue::new(history);
    let of = move |unit: &str, figure: fn(&UnitScore) -> f64| -> Vec<Option<f64>> {
        history.with_value(|h| {
            h.iter().map(|(_, r)| r.streets.iter().chain(&r.departments).find(|u| u.unit == unit).map(figure)).collect()
        })
    };
    let top: Vec<Series> =
        units.iter().take(5).enumerate().map(|(k, u)| (unit_name(u), COLOURS[k], of(u, |s| s.composite))).collect();
    let chosen = RwSignal::new(units.first().cloned().unwrap_or_default());
    let rates = move || -> Vec<Series> {
        let unit = chosen.get();
        let l = lang.get();
        let figures: [Column<UnitScore, f64>; 4] = [
            ("响应率", "Response", |s| s.response_rate),
            ("解决率", "Resolution", |s| s.resolution_rate),
            ("满意率", "Satisfaction", |s| s.satisfaction_rate),
            ("综合得分", "Composite", |s| s.composite),
        ];
        figures
            .iter()
            .enumerate()
            .map(|(k, (zh, en, f))| (l.pick(zh, en).to_owned(), COLOURS[k], of(&unit, *f)))
            .collect()
    };
    let whole: Vec<Series> = {
        let l = lang.get_untracked();
        let figures: [Column<minyi_model::Overall, f64>; 4] = [
            ("响应率", "Response", |o| o.response_rate),
            ("解决率", "Resolution", |o| o.resolution_rate),
            ("满意率", "Satisfaction", |o| o.satisfaction_rate),
            ("综合得分", "Composite", |o| o.composite),
        ];
        figures
            .iter()
            .enumerate()
            .map(|(k, (zh, en, f))| {
                let values = history
                    .with_value(|h| h.iter().map(|(_, r)| (r.overall.cases > 0).then(|| f(&r.overall))).collect());
                (l.pick(zh, en).to_owned(), COLOURS[k], values)
            })
            .collect()
    };
    let months_again = months.clone();
    view! {
        <LineChart id="trend-overall" months=months.clone() series=whole
            caption=("全区（全市）响应率、解决率、满意率与综合得分逐月走势", "The district's (or the city's) response, resolution and satisfaction rates and composite, month by month")/>
        <LineChart id="trend" months=months series=top
            caption=("综合得分逐月走势：本月前5名街道乡镇", "Composite month by month: this month's top 5 streets and townships")/>
        <form class="filters">
            <label for="trend-unit">{move || lang.get().pick("单位三率逐月走势", "A unit's rates month by month")}</label>
            <select id="trend-unit" on:change=move |ev| chosen.set(event_target_value(&ev))>
                {units.iter().map(|u| {
                    let (value, name, code) = (u.clone(), unit_name(u), u.clone());
                    view! { <option value=value selected=move || chosen.get() == code>{name}</option> }
                }).collect_view()}
            </select>
        </form>
        {move || view! {
            <LineChart id="trend-rates" months=months_again.clone() series=rates()
                caption=("所选单位的响应率、解决率、满意率与综合得分逐月走势", "The chosen unit's response, resolution and satisfaction rates and composite, month by month")/>
        }}
    }
    .into_any()
}

#[component]
fn Report(ranking: Ranking) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let period = ranking.period.clone();
    let c = &ranking.config;
    let weights = (c.response_weight, c.resolution_weight, c.satisfaction_weight);
    view! {
        <p id="dash-summary">{t("本月案件：", "Cases this month: ")}<strong id="dash-cases">{ranking.cases}</strong>
            " · "{t("未派单：", "Not dispatched: ")}{ranking.unassigned}</p>
        <Overall overall=ranking.overall district=ranking.district.is_some()/>
        <Chart units=ranking.streets.clone() weights=weights/>
        <Table id="streets" title=("街道乡镇排名", "Streets and townships") columns=&UNITS rows=ranking.streets key=|u: &UnitScore| u.unit.clone() period=period.clone()/>
        <Table id="departments" title=("部门排名", "Departments") columns=&UNITS rows=ranking.departments key=|u: &UnitScore| u.unit.clone() period=period/>
    }
}

/// The period's own line, the district's (or the city's) three rates and composite, as the service
/// computed them (`overall`).
#[component]
fn Overall(overall: minyi_model::Overall, district: bool) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let whole = if district { ("全区", "District-wide") } else { ("全市", "City-wide") };
    let o = overall;
    let figures = [
        ("overall-response", ("响应率", "response"), percent(o.response_rate)),
        ("overall-resolution", ("解决率", "resolution"), percent(o.resolution_rate)),
        ("overall-satisfaction", ("满意率", "satisfaction"), percent(o.satisfaction_rate)),
        ("overall-composite", ("综合得分", "composite"), format!("{:.3}", o.composite)),
    ];
    view! {
        <p id="dash-overall">
            {move || format!("{}{}", lang.get().pick(whole.0, whole.1), lang.get().pick("：", ": "))}
            {figures.into_iter().enumerate().map(|(i, (id, name, value))| view! {
                {(i > 0).then_some(" · ")}
                {move || format!("{} ", lang.get().pick(name.0, name.1))}<strong id=id>{value}</strong>
            }).collect_view()}
        </p>
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

/// A table of `rows` under `columns`, with its CSV download; each row keyed by `key` (`data-key`).
#[component]
fn Table<T: Send + Sync + 'static>(
    id: &'static str,
    title: (&'static str, &'static str),
    columns: &'static [Column<T>],
    rows: Vec<T>,
    key: fn(&T) -> String,
    period: String,
) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let rows = StoredValue::new(rows);
    let href = move || rows.with_value(|r| blob_url(&csv(lang.get(), columns, r))).unwrap_or_default();
    let file = format!("minyi-{period}-{id}.csv");
    view! {
        <section aria-labelledby=format!("{id}-title")>
            <h2 id=format!("{id}-title")>{move || lang.get().pick(title.0, title.1).to_owned()}</h2>
            <p><a id=format!("csv-{id}") href=href download=file>{move || lang.get().pick("导出 CSV", "Export CSV").to_owned()}</a></p>
            <table id=format!("table-{id}")>
                <thead><tr>
                    {columns.iter().map(|&(zh, en, _)| view! { <th scope="col">{move || lang.get().pick(zh, en).to_owned()}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {rows.with_value(|rs| rs.iter().map(|r| view! {
                        <tr data-key=key(r)>
                            {columns.iter().map(|(_, _, cell)| view! { <td>{cell(r)}</td> }).collect_view()}
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
        let text = super::csv(minyi_client::i18n::Lang::En, &super::UNITS, &[unit]);
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Rank,Unit code,Unit,Cases,Response rate,Resolution rate,Satisfaction rate,Composite,Change"
        );
        assert_eq!(lines[1], "1,\"a,\"\"b\"\"\",\"a,\"\"b\"\"\",3,100.0%,66.7%,96.7%,0.835,");
    }
}
