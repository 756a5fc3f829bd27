//! The complaint form: validates the whole form on every keystroke and shows each issue under its field;
//! a valid form is submitted to the service, and the case number and tracking code are shown.

use crate::api::{self, Failed, Intake};
use crate::components;
use leptos::prelude::*;
use minyi_model::{CaseForm, CaseState, Channel, Issue, Kind, Reporter, ValidationResult, categories, divisions};

/// One form field bound to a signal, with the issues for its path shown beneath it.
#[component]
fn Field(
    /// Field path in the case-form shape, e.g. `reporter.phone`.
    path: &'static str,
    /// Label shown to the citizen.
    label: &'static str,
    /// Element id of the input.
    id: &'static str,
    /// The value.
    value: RwSignal<String>,
    /// Issues of the latest validation.
    issues: Signal<Vec<Issue>>,
    /// Multi-line input.
    #[prop(optional)]
    multiline: bool,
) -> impl IntoView {
    let on_input = move |ev: leptos::ev::Event| value.set(event_target_value(&ev));
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {if multiline {
                view! { <textarea id=id rows="4" prop:value=move || value.get() on:input=on_input></textarea> }.into_any()
            } else {
                view! { <input id=id type="text" prop:value=move || value.get() on:input=on_input/> }.into_any()
            }}
            <IssueList path=path issues=issues/>
        </div>
    }
}

/// One issue, in both languages; `show_field` prefixes the field path (for the list of other fields).
#[component]
fn IssueItem(
    /// The issue.
    issue: Issue,
    /// Prefix the zh-CN text with the field path.
    show_field: bool,
) -> impl IntoView {
    let zh = if show_field { format!("{}：{}", issue.field, issue.message.zh_cn) } else { issue.message.zh_cn };
    view! {
        <li class=format!("issue {:?}", issue.severity).to_lowercase() data-code=issue.code>
            <span class="zh">{zh}</span>
            <span class="en">{issue.message.en}</span>
        </li>
    }
}

/// Issues for one field path, listed under an input the widget draws itself.
#[component]
fn IssueList(
    /// Field path, e.g. `category`.
    path: &'static str,
    /// Issues of the latest validation.
    issues: Signal<Vec<Issue>>,
) -> impl IntoView {
    let mine = move || issues.get().into_iter().filter(|i| i.field == path).collect::<Vec<_>>();
    view! {
        <ul class="issues" id=format!("issues-{}", path.replace('.', "-"))>
            <For each=mine key=|i| i.code.clone() let:issue>
                <IssueItem issue=issue show_field=false/>
            </For>
        </ul>
    }
}

/// The category picker: the leaves of the tree, grouped under their level-2 names.
#[component]
fn CategorySelect(
    /// The chosen leaf code (empty: none).
    value: RwSignal<String>,
) -> impl IntoView {
    let groups = categories::CATEGORIES.iter().filter(|c| c.level == 2);
    view! {
        <select id="category" on:change=move |ev| value.set(event_target_value(&ev))>
            <option value="">"请选择 Choose…"</option>
            {groups.map(|g| {
                let prefix = format!("{}.", g.code);
                let leaves = categories::leaves().filter(move |c| c.code.starts_with(&prefix));
                view! {
                    <optgroup label=format!("{} {}", g.zh_cn, g.en)>
                        {leaves.map(|c| view! { <option value=c.code>{format!("{} {}", c.zh_cn, c.en)}</option> }).collect_view()}
                    </optgroup>
                }
            }).collect_view()}
        </select>
    }
}

/// Fields shown with their own inputs; issues of any other field are listed at the end of the form.
const SHOWN: &[&str] = &["district", "category", "title", "description", "address", "reporter.phone", "consent"];

/// The citizen complaint widget.
#[component]
pub fn ComplaintWidget() -> impl IntoView {
    let district = RwSignal::new("110105".to_owned());
    let category = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let consent = RwSignal::new(false);
    let sha256 = RwSignal::new(String::new());
    let load_error = RwSignal::new(String::new());
    // The citizen has started: don't greet an empty form with a wall of "required".
    let touched =
        move || [title, description, address, phone].iter().any(|s| !s.with(String::is_empty)) || consent.get();

    leptos::task::spawn_local(async move {
        match components::load_validator().await {
            Ok(hash) => sha256.set(hash),
            Err(e) => load_error.set(e),
        }
    });

    // The form as the citizen has filled it, stamped with `now`.
    let form = move |now: String| CaseForm {
        district: district.get(),
        street: None,
        channel: Channel::Web,
        kind: Kind::Complaint,
        category: Some(category.get()).filter(|c| !c.is_empty()),
        title: title.get(),
        description: description.get(),
        address: address.get(),
        location: None,
        reporter: Some(Reporter { phone: Some(phone.get()), ..Reporter::default() }),
        attributes: Default::default(),
        attachments: Vec::new(),
        consent: consent.get(),
        received_at: now,
    };
    let result = Memo::new(move |_| -> Option<Result<ValidationResult, String>> {
        // Validate only once the component is loaded and the citizen has typed something.
        if sha256.get().is_empty() || !touched() {
            return None;
        }
        let now = components::now();
        let json = serde_json::to_string(&form(now.clone())).map_err(|e| e.to_string());
        Some(json.and_then(|json| components::validate(&json, &now)))
    });

    // Submission: the service's answer, and the issues it found that the page could not (a district
    // plugin's, say). Editing the form clears both, so the citizen can correct and submit again.
    let submitting = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<Intake, Failed>>);
    let server_issues = RwSignal::new(Vec::<Issue>::new());
    Effect::new(move |_| {
        for text in [district, category, title, description, address, phone] {
            text.track();
        }
        consent.track();
        server_issues.set(Vec::new());
        outcome.set(None);
    });
    let ready = move || {
        matches!(result.get(), Some(Ok(r)) if r.valid)
            && !submitting.get()
            && outcome.with(|o| !matches!(o, Some(Ok(_))))
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !ready() {
            return;
        }
        let json = match serde_json::to_string(&form(components::now())) {
            Ok(json) => json,
            Err(e) => return outcome.set(Some(Err(Failed { status: 0, message: e.to_string() }))),
        };
        submitting.set(true);
        leptos::task::spawn_local(async move {
            let answer = api::submit_case(&json).await;
            if let Ok(intake) = &answer {
                let issues: Vec<Issue> =
                    intake.validation.as_ref().map(|v| v.result.issues.clone()).unwrap_or_default();
                server_issues.set(issues);
            }
            outcome.set(Some(answer));
            submitting.set(false);
        });
    };

    let issues = Signal::derive(move || {
        let mut issues = match result.get() {
            Some(Ok(r)) => r.issues,
            _ => Vec::new(),
        };
        for issue in server_issues.get() {
            if !issues.iter().any(|i| i.field == issue.field && i.code == issue.code) {
                issues.push(issue);
            }
        }
        issues
    });

    let others = move || issues.get().into_iter().filter(|i| !SHOWN.contains(&i.field.as_str())).collect::<Vec<_>>();
    view! {
        <form class="widget" on:submit=on_submit>
            <div class="field">
                <label for="district">"所在区 District"</label>
                <select id="district" on:change=move |ev| district.set(event_target_value(&ev))>
                    {divisions::DISTRICTS.iter().map(|d| view! {
                        <option value=d.code selected={d.code == "110105"}>{d.name}</option>
                    }).collect_view()}
                </select>
                <IssueList path="district" issues=issues/>
            </div>
            <div class="field">
                <label for="category">"诉求分类 Category"</label>
                <CategorySelect value=category/>
                <IssueList path="category" issues=issues/>
            </div>
            <Field path="title" label="标题 Title" id="title" value=title issues=issues/>
            <Field path="description" label="诉求内容 Description" id="description" value=description issues=issues multiline=true/>
            <Field path="address" label="地址 Address" id="address" value=address issues=issues/>
            <Field path="reporter.phone" label="联系电话 Phone" id="phone" value=phone issues=issues/>
            <div class="field">
                <label>
                    <input id="consent" type="checkbox" on:change=move |ev| consent.set(event_target_checked(&ev))/>
                    " 我同意个人信息处理说明 I agree to the processing of my personal data"
                </label>
                <IssueList path="consent" issues=issues/>
            </div>
            <ul class="issues" id="issues-other">
                <For each=others key=|i| (i.field.clone(), i.code.clone()) let:issue>
                    <IssueItem issue=issue show_field=true/>
                </For>
            </ul>
            <p id="form-status" class="status">
                {move || match result.get() {
                    None => String::new(),
                    Some(Ok(r)) if r.valid => "可以提交 Ready to submit".to_owned(),
                    Some(Ok(r)) => format!("还有 {} 个问题 {} issue(s) left", r.issues.len(), r.issues.len()),
                    Some(Err(e)) => format!("校验失败 Validation failed: {e}"),
                }}
            </p>
            <button id="submit" type="submit" disabled=move || !ready()>
                {move || if submitting.get() { "提交中… Submitting…" } else { "提交 Submit" }}
            </button>
            {move || outcome.get().map(|o| view! { <Receipt outcome=o/> })}
            <footer class="provenance">
                "validator component sha256: "
                <code id="component-sha256">{move || sha256.get()}</code>
                <span id="load-error">{move || load_error.get()}</span>
            </footer>
        </form>
    }
}

/// A unit code as the citizen reads it: the street's or district's name when it is one.
fn unit_name(code: &str) -> String {
    match (divisions::street(code), divisions::district(code)) {
        (Some((d, s)), _) => format!("{}{}", d.name, s.name),
        (None, Some(d)) => d.name.to_owned(),
        (None, None) => code.to_owned(),
    }
}

/// `2026-12-03T18:00:00+08:00` as `2026-12-03 18:00`.
fn minutes(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}

/// What the service answered: the case number and tracking code, and where the case stands.
#[component]
fn Receipt(
    /// The answer of `POST /api/cases`.
    outcome: Result<Intake, Failed>,
) -> impl IntoView {
    match outcome {
        Ok(intake) => {
            let stands = match intake.state {
                CaseState::Dispatched => {
                    let routing = intake.routing.as_ref().map(|r| &r.result);
                    let unit = unit_name(routing.map_or("", |r| r.lead.as_str()));
                    let due = minutes(routing.map_or("", |r| r.deadline.as_str()));
                    format!("已派单至 {unit}，办理时限 {due} · Dispatched to {unit}, due {due}")
                }
                CaseState::PendingManual => "已受理，等待人工派单 · Received; an operator will assign it".to_owned(),
                CaseState::Rejected => {
                    let reason = intake.reason.clone().unwrap_or_default();
                    format!("未受理：请按提示修改后重新提交 · Not accepted, please correct and submit again ({reason})")
                }
                other => other.as_str().to_owned(),
            };
            view! {
                <section id="receipt" class="receipt" data-state=intake.state.as_str()>
                    <p>"案件编号 Case number: "<code id="receipt-case-id">{intake.case_id}</code></p>
                    <p>"查询码（请保存，用于查询进度） Tracking code, keep it to follow your case: "
                        <code id="receipt-token">{intake.tracking_token}</code></p>
                    <p id="receipt-state">{stands}</p>
                </section>
            }
            .into_any()
        }
        Err(failed) => {
            let text = match failed.status {
                0 => format!("网络错误，未能提交 · Network error, not submitted: {}", failed.message),
                503 => format!(
                    "服务暂不可用，未保存，请稍后重试 · Service unavailable, nothing was stored; try again later: {}",
                    failed.message
                ),
                s => format!("提交失败 · Submission failed ({s}): {}", failed.message),
            };
            view! { <section id="receipt" class="receipt failed" data-state="failed"><p id="receipt-state">{text}</p></section> }.into_any()
        }
    }
}
