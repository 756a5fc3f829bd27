//! The queue: an operator's unit's cases (a district admin's or the city's listing for the others) as
//! `GET /api/cases` answers them, sorted by time left — overdue first, then the 80 % warnings — with
//! the countdown ticking in the page between refreshes, and filters by state and category that the
//! service applies.

use crate::session::{Me, Session};
use leptos::prelude::*;
use minyi_client::http::Failed;
use minyi_client::i18n::{self, Lang, minutes, unit_name};
use minyi_model::{CaseState, categories};
use serde::Deserialize;

/// A case of the listing (the public `ListedCase` shape; only what the queue shows).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Listed {
    pub(crate) case_id: String,
    pub(crate) received_at: String,
    pub(crate) state: CaseState,
    #[serde(default)]
    pub(crate) lead: Option<String>,
    #[serde(default)]
    pub(crate) deadline: Option<String>,
    #[serde(default)]
    pub(crate) category: Option<String>,
    #[serde(default)]
    pub(crate) time_left_s: Option<i64>,
    #[serde(default)]
    pub(crate) overdue: Option<bool>,
    #[serde(default)]
    pub(crate) warning: Option<bool>,
}

/// A page of `GET /api/cases`.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseList {
    pub(crate) cases: Vec<Listed>,
}

/// The states a queue filters by, in the order of the lifecycle: those a case can stand in once
/// intake has decided (it passes through `received` and `accepted` in the same request).
fn states() -> impl Iterator<Item = CaseState> {
    CaseState::ALL.into_iter().filter(|s| !matches!(s, CaseState::Received | CaseState::Accepted))
}

/// A category leaf's name.
pub fn category_name(lang: Lang, code: &str) -> String {
    categories::leaf(code).map_or_else(|| code.to_owned(), |c| lang.pick(c.zh_cn, c.en).to_owned())
}

/// Running clocks first, least time left first; then the others, newest first (as listed).
fn sort(cases: &mut [Listed]) {
    cases.sort_by_key(|c| (c.time_left_s.is_none(), c.time_left_s.unwrap_or(0)));
}

/// The queue page.
#[component]
pub fn QueuePage(me: Me) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let state = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let listed = RwSignal::new(None::<Result<Vec<Listed>, Failed>>);
    // Seconds since the listing was fetched: the countdowns tick without asking the service.
    let ticked = RwSignal::new(0_i64);
    let load = move || {
        let mut path = "/api/cases?limit=1000".to_owned();
        for (key, value) in [("state", state.get_untracked()), ("category", category.get_untracked())] {
            if !value.is_empty() {
                path.push_str(&format!("&{key}={}", minyi_client::http::encode(&value)));
            }
        }
        leptos::task::spawn_local(async move {
            let answer: Result<CaseList, Failed> = session.call("GET", &path, None, &[200]).await;
            ticked.set(0);
            listed.set(Some(answer.map(|mut l| {
                sort(&mut l.cases);
                l.cases
            })));
        });
    };
    load();
    let tick = set_interval_with_handle(move || ticked.update(|s| *s += 30), std::time::Duration::from_secs(30)).ok();
    let refresh = set_interval_with_handle(load, std::time::Duration::from_secs(120)).ok();
    on_cleanup(move || {
        for handle in [tick, refresh].into_iter().flatten() {
            handle.clear();
        }
    });
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let title = if me.role == "operator" { ("本单位待办", "My unit's queue") } else { ("案件", "Cases") };
    // The categories of what is listed, to filter by.
    let present = move || {
        let mut codes: Vec<String> = listed
            .with(|l| {
                l.as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map(|cases| cases.iter().filter_map(|c| c.category.clone()).collect())
            })
            .unwrap_or_default();
        let chosen = category.get();
        if !chosen.is_empty() {
            codes.push(chosen);
        }
        codes.sort();
        codes.dedup();
        codes
    };
    view! {
        <section class="queue" aria-labelledby="queue-title">
            <h1 id="queue-title">{move || lang.get().pick(title.0, title.1).to_owned()}</h1>
            <form class="filters" on:submit=move |ev| { ev.prevent_default(); load(); }>
                <label for="f-state">{t("状态", "State")}</label>
                <select id="f-state" on:change=move |ev| { state.set(event_target_value(&ev)); load(); }>
                    <option value="" selected=move || state.get().is_empty()>{t("全部", "All")}</option>
                    {states().map(|s| view! {
                        <option value=s.as_str() selected=move || state.get() == s.as_str()>{move || i18n::state(lang.get(), s)}</option>
                    }).collect_view()}
                </select>
                <label for="f-category">{t("类别", "Category")}</label>
                <select id="f-category" on:change=move |ev| { category.set(event_target_value(&ev)); load(); }>
                    <option value="" selected=move || category.get().is_empty()>{t("全部", "All")}</option>
                    {move || present().into_iter().map(|code| {
                        let selected = category.get() == code;
                        let name = category_name(lang.get(), &code);
                        view! { <option value=code selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <button type="submit" id="refresh">{t("刷新", "Refresh")}</button>
            </form>
            {move || match listed.get() {
                None => view! { <p role="status">{t("加载中……", "Loading…")}</p> }.into_any(),
                Some(Err(f)) => view! { <p role="alert" class="error">{f.message}</p> }.into_any(),
                Some(Ok(cases)) if cases.is_empty() => view! { <p role="status" id="queue-empty">{t("没有案件。", "No cases.")}</p> }.into_any(),
                Some(Ok(cases)) => view! {
                    <table id="queue-table">
                        <caption class="sr-only">{t("按剩余时间排序", "Sorted by time left")}</caption>
                        <thead><tr>
                            <th scope="col">{t("案件编号", "Case")}</th>
                            <th scope="col">{t("类别", "Category")}</th>
                            <th scope="col">{t("状态", "State")}</th>
                            <th scope="col">{t("承办单位", "Lead unit")}</th>
                            <th scope="col">{t("受理时间", "Received")}</th>
                            <th scope="col">{t("答复时限", "Deadline")}</th>
                            <th scope="col">{t("剩余时间", "Time left")}</th>
                        </tr></thead>
                        <tbody>
                            {cases.into_iter().map(|c| view! { <Row case=c ticked=ticked/> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Row(case: Listed, ticked: RwSignal<i64>) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let left = case.time_left_s;
    let overdue = case.overdue == Some(true);
    let class = if overdue {
        "overdue"
    } else if case.warning == Some(true) {
        "warning"
    } else {
        ""
    };
    let href = crate::Page::Case(case.case_id.clone()).hash();
    let (category, state, lead) = (case.category.clone(), case.state, case.lead.clone());
    view! {
        <tr class=class data-case=case.case_id.clone()>
            <th scope="row"><a href=href>{case.case_id.clone()}</a></th>
            <td>{move || category.as_deref().map(|c| category_name(lang.get(), c)).unwrap_or_default()}</td>
            <td>{move || i18n::state(lang.get(), state)}</td>
            <td>{lead.as_deref().map(unit_name).unwrap_or_default()}</td>
            <td>{minutes(&case.received_at)}</td>
            <td>{case.deadline.as_deref().map(minutes).unwrap_or_default()}</td>
            <td class="left">{move || left.map(|s| {
                let l = lang.get();
                let left = s - ticked.get();
                let text = crate::duration(l, left);
                match class {
                    "overdue" => format!("{} {}", l.pick("已超时", "Overdue by"), crate::duration(l, left.saturating_abs())),
                    "warning" => format!("{} {text}", l.pick("即将超时", "Due soon")),
                    _ => text,
                }
            })}</td>
        </tr>
    }
}
