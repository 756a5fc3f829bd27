//! The complaint form: validates the whole form on every keystroke and shows each issue under its field.

use crate::components;
use leptos::prelude::*;
use minyi_model::{CaseForm, Channel, Issue, Kind, Reporter, ValidationResult, categories, divisions};

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

    let result = Memo::new(move |_| -> Option<Result<ValidationResult, String>> {
        // Validate only once the component is loaded and the citizen has typed something.
        if sha256.get().is_empty() || !touched() {
            return None;
        }
        let now = components::now();
        let form = CaseForm {
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
            received_at: now.clone(),
        };
        let json = serde_json::to_string(&form).map_err(|e| e.to_string());
        Some(json.and_then(|json| components::validate(&json, &now)))
    });
    let issues = Signal::derive(move || match result.get() {
        Some(Ok(r)) => r.issues,
        _ => Vec::new(),
    });

    let others = move || issues.get().into_iter().filter(|i| !SHOWN.contains(&i.field.as_str())).collect::<Vec<_>>();
    view! {
        <form class="widget" on:submit=|ev| ev.prevent_default()>
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
            <footer class="provenance">
                "validator component sha256: "
                <code id="component-sha256">{move || sha256.get()}</code>
                <span id="load-error">{move || load_error.get()}</span>
            </footer>
        </form>
    }
}
