//! The complaint form: the district's own fields (from its schema, `GET /api/form`), validated whole on
//! every keystroke by the component against that same schema (the one the district deployed, `GET
//! /api/districts/{d}/schema`, else the built-in one), each issue under its field once the citizen has
//! touched it (all of them on a submit attempt); the category suggested from the citizen's description by
//! the classifier component until the citizen picks one; a valid form is submitted and the receipt links
//! to the tracking page.

use crate::Embed;
use crate::api::{Failed, Intake};
use crate::components::{self, LoadError};
use leptos::prelude::*;
use minyi_client::i18n::{self, Lang};
use minyi_model::{
    Attachment, AttachmentSpec, AttributeSpec, CaseForm, CaseState, Channel, FormSpec, Issue, Kind, Reporter,
    ScoredCategory, Severity, ValidationResult, categories, divisions,
};
use std::collections::{BTreeMap, BTreeSet};
use wasm_bindgen::JsCast;

/// How the page checks the form.
#[derive(Debug, Clone, PartialEq)]
enum Checker {
    /// The component is being fetched and checked.
    Loading,
    /// Its own copy of the component, whose SHA-256 matched the manifest.
    Local(String),
    /// The server's (`POST /api/validate`), because the page's copy could not be used.
    Server(LoadError),
}

/// What every field of the form reads: the language, the issues and which fields the citizen touched.
#[derive(Clone, Copy)]
struct FormCtx {
    lang: RwSignal<Lang>,
    issues: Signal<Vec<Issue>>,
    touched: RwSignal<BTreeSet<String>>,
    attempted: RwSignal<bool>,
}

impl FormCtx {
    /// The issues shown under `path`: once the citizen touched it, or tried to submit.
    fn shown(self, path: &str) -> Vec<Issue> {
        let visible = self.attempted.get() || self.touched.with(|t| t.contains(path));
        if !visible {
            return Vec::new();
        }
        let item = format!("{path}[");
        self.issues.get().into_iter().filter(|i| i.field == path || i.field.starts_with(&item)).collect()
    }

    fn has_error(self, path: &str) -> bool {
        self.shown(path).iter().any(|i| i.severity == Severity::Error)
    }

    fn touch(self, path: &str) {
        if !self.touched.with(|t| t.contains(path)) {
            self.touched.update(|t| {
                t.insert(path.to_owned());
            });
        }
    }
}

/// `reporter.phone` → `reporter-phone`, for element ids.
fn dom_id(path: &str) -> String {
    path.replace('.', "-")
}

/// The issues under one field, in the chosen language; the field's `aria-describedby` points here.
#[component]
fn IssueList(path: String) -> impl IntoView {
    let ctx = expect_context::<FormCtx>();
    let id = format!("issues-{}", dom_id(&path));
    let mine = move || ctx.shown(&path);
    view! {
        <ul class="issues" id=id>
            <For each=mine key=|i| (i.code.clone(), i.message.en.clone()) let:issue>
                <li class=format!("issue {}", if issue.severity == Severity::Error { "error" } else { "warning" })
                    data-code=issue.code.clone()>
                    {move || ctx.lang.get().message(&issue.message)}
                </li>
            </For>
        </ul>
    }
}

/// What kind of input a field takes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Input {
    Text,
    Area,
    Tel,
    Number,
    DateTime,
}

/// One labelled input bound to a signal, its issues beneath it.
#[component]
fn Field(
    path: String,
    zh: String,
    en: String,
    value: RwSignal<String>,
    input: Input,
    #[prop(into)] required: Signal<bool>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let ctx = expect_context::<FormCtx>();
    let id = format!("f-{}", dom_id(&path));
    let described = format!("issues-{}", dom_id(&path));
    let touch_path = path.clone();
    let err_path = path.clone();
    let on_input = move |ev: leptos::ev::Event| {
        value.set(event_target_value(&ev));
        ctx.touch(&touch_path);
    };
    let invalid = move || if ctx.has_error(&err_path) { "true" } else { "false" };
    let label = move || format!("{}{}", ctx.lang.get().pick(&zh, &en), if required.get() { " *" } else { "" });
    let required = move || required.get().to_string();
    let control = match input {
        Input::Area => view! {
            <textarea id=id.clone() rows="4" prop:value=move || value.get() on:input=on_input
                aria-describedby=described.clone() aria-invalid=invalid aria-required=required></textarea>
        }
        .into_any(),
        other => {
            let (kind, mode) = match other {
                Input::Tel => ("tel", Some("tel")),
                Input::Number => ("text", Some("decimal")),
                Input::DateTime => ("datetime-local", None),
                _ => ("text", None),
            };
            view! {
                <input id=id.clone() type=kind inputmode=mode autocomplete=autocomplete prop:value=move || value.get()
                    on:input=on_input aria-describedby=described.clone() aria-invalid=invalid
                    aria-required=required/>
            }
            .into_any()
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {control}
            <IssueList path=path/>
        </div>
    }
}

/// An extra attribute of the chosen category, drawn from its Open311 datatype.
#[component]
fn AttributeField(spec: AttributeSpec, attrs: RwSignal<BTreeMap<String, String>>) -> impl IntoView {
    let ctx = expect_context::<FormCtx>();
    let path = format!("attributes.{}", spec.code);
    let code = spec.code.clone();
    let value = RwSignal::new(attrs.with_untracked(|a| a.get(&code).cloned().unwrap_or_default()));
    Effect::new(move |_| {
        let v = value.get();
        attrs.update(|a| {
            if v.is_empty() {
                a.remove(&code);
            } else {
                a.insert(code.clone(), v);
            }
        });
    });
    let (zh, en) = (spec.label.zh_cn.clone(), spec.label.en.clone());
    match spec.datatype.as_str() {
        "singlevaluelist" | "multivaluelist" => {
            let multi = spec.datatype == "multivaluelist";
            let id = format!("f-{}", dom_id(&path));
            let described = format!("issues-{}", dom_id(&path));
            let err_path = path.clone();
            let invalid = move || if ctx.has_error(&err_path) { "true" } else { "false" };
            let mark = if spec.required { " *" } else { "" };
            let legend = move || format!("{}{mark}", ctx.lang.get().pick(&zh, &en));
            let touch = path.clone();
            let choices = spec.values.clone();
            let control = if multi {
                choices
                    .into_iter()
                    .map(|c| {
                        let key = c.key.clone();
                        let touch = touch.clone();
                        let on_change = move |ev: leptos::ev::Event| {
                            let on = event_target_checked(&ev);
                            value.update(|v| {
                                let mut keys: Vec<String> =
                                    v.split(',').filter(|k| !k.is_empty() && *k != key).map(str::to_owned).collect();
                                if on {
                                    keys.push(key.clone());
                                }
                                *v = keys.join(",");
                            });
                            ctx.touch(&touch);
                        };
                        let label = c.label.clone();
                        view! {
                            <label class="choice">
                                <input type="checkbox" name=id.clone() value=c.key.clone() on:change=on_change
                                    aria-describedby=described.clone()/>
                                {move || ctx.lang.get().message(&label)}
                            </label>
                        }
                    })
                    .collect_view()
                    .into_any()
            } else {
                let touch = touch.clone();
                view! {
                    <select id=id.clone() aria-describedby=described.clone() aria-invalid=invalid
                        on:change=move |ev| { value.set(event_target_value(&ev)); ctx.touch(&touch); }>
                        <option value="">{move || ctx.lang.get().pick("请选择", "Choose…")}</option>
                        {choices.into_iter().map(|c| {
                            let label = c.label.clone();
                            view! { <option value=c.key.clone()>{move || ctx.lang.get().message(&label)}</option> }
                        }).collect_view()}
                    </select>
                }
                .into_any()
            };
            view! {
                <fieldset class="field" id=format!("set-{}", dom_id(&path))>
                    <legend>{legend}</legend>
                    {control}
                    <IssueList path=path.clone()/>
                </fieldset>
            }
            .into_any()
        }
        datatype => {
            let input = match datatype {
                "number" => Input::Number,
                "datetime" => Input::DateTime,
                "text" => Input::Area,
                _ => Input::Text,
            };
            // `datetime-local` gives minutes without an offset: the form carries Beijing time, RFC 3339.
            let typed = RwSignal::new(String::new());
            Effect::new(move |_| {
                let t = typed.get();
                value.set(if input == Input::DateTime && t.len() == 16 { format!("{t}:00+08:00") } else { t });
            });
            view! { <Field path=path zh=zh en=en value=typed input=input required=spec.required/> }.into_any()
        }
    }
}

/// The optional files: what the district's schema takes (types, how many, how large) said beside the
/// input; each file chosen is declared in the form (name, type, size) so the component checks it as the
/// citizen picks it, and uploaded once the case is stored.
#[component]
fn FilesField(
    spec: AttachmentSpec,
    files: StoredValue<Vec<web_sys::File>, LocalStorage>,
    attachments: RwSignal<Vec<Attachment>>,
) -> impl IntoView {
    let ctx = expect_context::<FormCtx>();
    let invalid = move || if ctx.has_error("attachments") { "true" } else { "false" };
    let accept = spec.mime.join(",");
    let (count, mib) = (spec.max_count, spec.max_bytes as f64 / (1 << 20) as f64);
    let hint = move || match ctx.lang.get() {
        Lang::Zh => format!("可选：最多 {count} 个文件，每个不超过 {mib:.0} MB（图片、视频、录音或 PDF）。"),
        Lang::En => format!("Optional: up to {count} files of at most {mib:.0} MB each (photos, video, audio or PDF)."),
    };
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let list = input.files();
        let chosen: Vec<web_sys::File> =
            (0..list.as_ref().map_or(0, web_sys::FileList::length)).filter_map(|i| list.as_ref()?.get(i)).collect();
        attachments.set(
            chosen
                .iter()
                .map(|f| Attachment { name: f.name(), mime: f.type_(), bytes: f.size().max(0.0) as u64 })
                .collect(),
        );
        files.set_value(chosen);
        ctx.touch("attachments");
    };
    view! {
        <div class="field">
            <label for="f-attachments">{move || ctx.lang.get().pick("附件", "Attachments")}</label>
            <p class="hint" id="hint-attachments">{hint}</p>
            <input id="f-attachments" type="file" multiple=true accept=accept on:change=on_change
                aria-describedby="hint-attachments issues-attachments" aria-invalid=invalid/>
            <IssueList path="attachments".to_owned()/>
        </div>
    }
}

/// Where each file's upload stands.
#[derive(Debug, Clone, PartialEq)]
enum Upload {
    Sending,
    Stored,
    Failed(String),
}

/// The uploads after the case is stored: how many arrived, and why any did not.
#[component]
fn UploadStatus(uploads: RwSignal<Vec<Upload>>) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    move || {
        let all = uploads.get();
        if all.is_empty() {
            return None;
        }
        let stored = all.iter().filter(|u| **u == Upload::Stored).count();
        let failed: Vec<String> =
            all.iter().filter_map(|u| if let Upload::Failed(m) = u { Some(m.clone()) } else { None }).collect();
        let line = match lang.get() {
            Lang::Zh => format!("附件已上传 {stored}/{}", all.len()),
            Lang::En => format!("Files uploaded: {stored} of {}", all.len()),
        };
        Some(view! {
            <div id="uploads" class="receipt" role="status" data-stored=stored data-total=all.len()>
                <p>{line}</p>
                <ul>{failed.into_iter().map(|m| view! { <li class="issue error">{m}</li> }).collect_view()}</ul>
            </div>
        })
    }
}

/// Whether the page can suggest a category (智能分拨): the classifier is fetched only once the citizen
/// starts describing the demand, so the first paint carries none of it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Suggester {
    /// Nothing typed yet, or a category chosen by hand: not fetched.
    Idle,
    /// Being fetched and checked.
    Loading,
    /// Loaded with the model the service suggests with.
    Ready,
    /// The service runs no model, or the page could not load it: no suggestions.
    Off,
}

/// The category picker: the leaves of the tree, grouped under their level-2 names; under it, the
/// classifier's suggestion — filled in until the citizen picks a category by hand, then offered.
#[component]
fn CategorySelect(
    value: RwSignal<String>,
    suggestion: Memo<Option<ScoredCategory>>,
    picked: RwSignal<bool>,
) -> impl IntoView {
    let ctx = expect_context::<FormCtx>();
    let invalid = move || if ctx.has_error("category") { "true" } else { "false" };
    let hint = move || {
        let s = suggestion.get()?;
        let lang = ctx.lang.get();
        let name = categories::get(&s.category).map_or(s.category.clone(), |c| lang.pick(c.zh_cn, c.en).to_owned());
        let percent = (s.confidence * 100.0).round();
        let applied = value.get() == s.category;
        let text = match (lang, applied) {
            (Lang::Zh, true) => format!("已根据您的描述建议分类（把握 {percent}%），如不准确请修改。"),
            (Lang::En, true) => format!("Suggested from your description ({percent}% sure): change it if it is wrong."),
            (Lang::Zh, false) => format!("根据您的描述，建议分类为“{name}”（把握 {percent}%）。"),
            (Lang::En, false) => format!("From your description, the category may be “{name}” ({percent}% sure)."),
        };
        let category = s.category.clone();
        let use_it = move |_| {
            value.set(category.clone());
            picked.set(false);
            ctx.touch("category");
        };
        Some(view! {
            <p id="category-suggestion" class="hint" role="status" data-category=s.category.clone()
                data-applied=applied.to_string()>
                {text}
                {(!applied).then(|| view! {
                    <button type="button" id="category-use-suggestion" class="link" on:click=use_it>
                        {lang.pick("采用建议", "Use it")}
                    </button>
                })}
            </p>
        })
    };
    view! {
        <div class="field">
            <label for="f-category">{move || format!("{} *", ctx.lang.get().pick("诉求分类", "Category"))}</label>
            <select id="f-category" aria-describedby="issues-category category-suggestion" aria-invalid=invalid
                aria-required="true" prop:value=move || value.get()
                on:change=move |ev| { value.set(event_target_value(&ev)); picked.set(true); ctx.touch("category"); }>
                <option value="">{move || ctx.lang.get().pick("请选择", "Choose…")}</option>
                {categories::CATEGORIES.iter().filter(|c| c.level == 2).map(|g| {
                    let prefix = format!("{}.", g.code);
                    let leaves: Vec<_> = categories::leaves().filter(|c| c.code.starts_with(&prefix)).collect();
                    view! {
                        <optgroup label=move || ctx.lang.get().pick(g.zh_cn, g.en).to_owned()>
                            {leaves.into_iter().map(|c| view! {
                                <option value=c.code>{move || ctx.lang.get().pick(c.zh_cn, c.en).to_owned()}</option>
                            }).collect_view()}
                        </optgroup>
                    }
                }).collect_view()}
            </select>
            {hint}
            <IssueList path="category".to_owned()/>
        </div>
    }
}

/// The citizen complaint widget.
#[component]
pub fn ComplaintWidget() -> impl IntoView {
    let embed = expect_context::<Embed>();
    let lang = expect_context::<RwSignal<Lang>>();
    let api = StoredValue::new(embed.api.clone());
    let district = RwSignal::new(embed.district.clone());
    let kind = RwSignal::new("complaint".to_owned());
    let category = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let street = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let attrs = RwSignal::new(BTreeMap::<String, String>::new());
    let consent = RwSignal::new(false);
    // The files chosen, and what the form declares of them (name, type, size) for the component to check.
    let files = StoredValue::new_local(Vec::<web_sys::File>::new());
    let attachments = RwSignal::new(Vec::<Attachment>::new());
    let touched = RwSignal::new(BTreeSet::<String>::new());
    let attempted = RwSignal::new(false);
    let checker = RwSignal::new(Checker::Loading);
    let spec = RwSignal::new(None::<Result<FormSpec, Failed>>);

    leptos::task::spawn_local(async move {
        let loaded = match components::load_validator().await {
            Ok(hash) => Checker::Local(hash),
            Err(why) => Checker::Server(why),
        };
        // A plugin or schema the page could not fetch meanwhile has sent the checking to the server.
        checker.update(|c| {
            if *c == Checker::Loading {
                *c = loaded;
            }
        });
    });
    // The district's validation plugin, when the page can run it: loaded again when the district
    // changes. A plugin the page cannot load (its bytes differ from the hash the host names) sends the
    // checking to the server, which runs the plugin itself.
    let plugin = RwSignal::new(None::<(String, String)>);
    Effect::new(move |_| {
        let d = district.get();
        plugin.set(None);
        leptos::task::spawn_local(async move {
            let base = api.get_value().url("");
            match components::load_plugin(&base, &d).await {
                Ok(Some(sha)) if district.get_untracked() == d => plugin.set(Some((d, sha))),
                Ok(_) => {}
                Err(why) => checker.set(Checker::Server(why)),
            }
        });
    });
    // The district's own form, fetched again when the district changes, and the schema it deployed
    // (none: the built-in one applies), which the page's component checks the form against — so the
    // page asks for what intake will. Without an answer the page cannot know: the server checks.
    let schema = RwSignal::new(None::<(String, Option<String>)>);
    Effect::new(move |_| {
        let d = district.get();
        let of = d.clone();
        leptos::task::spawn_local(async move {
            let answer = api.get_value().form(&of).await;
            if district.get_untracked() == of {
                spec.set(Some(answer));
            }
        });
        leptos::task::spawn_local(async move {
            let answer = api.get_value().district_schema(&d).await;
            if district.get_untracked() != d {
                return;
            }
            match answer {
                Ok(text) => schema.set(Some((d, text))),
                Err(why) => checker.set(Checker::Server(LoadError::Failed(format!(
                    "the district's schema could not be fetched: {}",
                    why.message
                )))),
            }
        });
    });

    // The category suggestion: the classifier fetched once the citizen starts describing the demand
    // (unless a category was picked by hand), then asked on every change of the text — the same bytes
    // and model intake suggests with.
    // The model is the district's own when it deployed one: fetched again when the district changes.
    let suggester = RwSignal::new(Suggester::Idle);
    let picked = RwSignal::new(false);
    let fetched_for = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let d = district.get();
        let typed = title.with(|t| !t.trim().is_empty()) || description.with(|t| !t.trim().is_empty());
        if !typed || picked.get() || fetched_for.get_value().as_deref() == Some(d.as_str()) {
            return;
        }
        fetched_for.set_value(Some(d.clone()));
        suggester.set(Suggester::Loading);
        leptos::task::spawn_local(async move {
            let base = api.get_value().url("");
            let loaded = match components::load_classifier(&base, &d).await {
                Ok(Some(_)) => Suggester::Ready,
                Ok(None) => Suggester::Off,
                Err(why) => {
                    web_sys::console::warn_1(&format!("no category suggestions: {why:?}").into());
                    Suggester::Off
                }
            };
            if district.get_untracked() == d {
                suggester.set(loaded);
            }
        });
    });
    let suggestion = Memo::new(move |_| -> Option<ScoredCategory> {
        if suggester.get() != Suggester::Ready {
            return None;
        }
        match components::suggest(&title.get(), &description.get())? {
            Ok(s) => s.chosen().cloned(),
            Err(e) => {
                web_sys::console::warn_1(&format!("category suggestion failed: {e}").into());
                None
            }
        }
    });
    // Until the citizen picks one by hand, the category follows the suggestion.
    Effect::new(move |_| {
        let next = suggestion.get().map(|s| s.category).unwrap_or_default();
        if !picked.get_untracked() && category.get_untracked() != next {
            category.set(next);
        }
    });

    let applicable = move || -> Vec<AttributeSpec> {
        let c = category.get();
        match spec.get() {
            Some(Ok(s)) if !c.is_empty() => s.attributes.into_iter().filter(|a| a.applies_to(&c)).collect(),
            _ => Vec::new(),
        }
    };
    let requires = move |path: &'static str| {
        Signal::derive(move || matches!(spec.get(), Some(Ok(s)) if s.required.iter().any(|r| r == path)))
    };

    // The form as the citizen has filled it, stamped with `now`.
    let form = move |now: String| {
        let chosen = applicable();
        let attributes =
            attrs.get().into_iter().filter(|(k, v)| !v.is_empty() && chosen.iter().any(|a| &a.code == k)).collect();
        let kind = match kind.get().as_str() {
            "consult" => Kind::Consult,
            "help" => Kind::Help,
            "report" => Kind::Report,
            "suggestion" => Kind::Suggestion,
            "praise" => Kind::Praise,
            _ => Kind::Complaint,
        };
        CaseForm {
            district: district.get(),
            street: Some(street.get()).filter(|s| !s.is_empty()),
            channel: Channel::Web,
            kind,
            category: Some(category.get()).filter(|c| !c.is_empty()),
            title: title.get(),
            description: description.get(),
            address: address.get(),
            location: None,
            reporter: Some(Reporter {
                name: Some(name.get()).filter(|n| !n.trim().is_empty()),
                phone: Some(phone.get()),
                ..Reporter::default()
            }),
            attributes,
            attachments: attachments.get(),
            consent: consent.get(),
            received_at: now,
        }
    };

    // The page's own component, every keystroke.
    let local = Memo::new(move |_| -> Option<Result<ValidationResult, String>> {
        if !matches!(checker.get(), Checker::Local(_)) {
            return None;
        }
        let now = components::now();
        let filled = form(now.clone());
        // Until the district's schema is known, the page does not guess which one applies.
        let (for_district, deployed) = schema.get()?;
        if for_district != filled.district {
            return None;
        }
        let json = serde_json::to_string(&filled).map_err(|e| e.to_string());
        let result = json.and_then(|json| components::validate(deployed.as_deref(), &json, &now));
        Some(match plugin.get() {
            Some((d, _)) if d == filled.district => result.map(|r| components::with_plugin(&d, r)),
            _ => result,
        })
    });
    // The server's, when the page's copy could not be used: the latest answer wins.
    let remote = RwSignal::new(None::<Result<ValidationResult, String>>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        if !matches!(checker.get(), Checker::Server(_)) {
            return;
        }
        let Ok(json) = serde_json::to_string(&form(components::now())) else { return };
        asked.update_value(|n| *n += 1);
        let mine = asked.get_value();
        leptos::task::spawn_local(async move {
            let answer = api.get_value().validate(&json).await.map_err(|f| f.message);
            if asked.get_value() == mine {
                remote.set(Some(answer));
            }
        });
    });
    let result = Signal::derive(move || local.get().or_else(|| remote.get()));

    // Submission: the service's answer, and the issues it found that the page could not.
    let submitting = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<Intake, Failed>>);
    let server_issues = RwSignal::new(Vec::<Issue>::new());
    let uploads = RwSignal::new(Vec::<Upload>::new());
    // What the status line says after a submit attempt, in both languages (the switch may come after).
    let notice = RwSignal::new((String::new(), String::new()));
    Effect::new(move |_| {
        for text in [district, kind, category, title, description, address, street, name, phone] {
            text.track();
        }
        attrs.track();
        consent.track();
        server_issues.set(Vec::new());
        notice.set(Default::default());
        outcome.update(|o| {
            if !matches!(o, Some(Ok(_))) {
                *o = None;
            }
        });
    });
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
    let ctx = FormCtx { lang, issues, touched, attempted };
    provide_context(ctx);

    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempted.set(true);
        if submitting.get_untracked() || matches!(outcome.get_untracked(), Some(Ok(_))) {
            return;
        }
        match result.get_untracked() {
            Some(Ok(r)) if r.valid => {}
            Some(Ok(r)) => {
                let n = r.issues.iter().filter(|i| i.severity == Severity::Error).count();
                notice.set((
                    format!("还有 {n} 处需要修改，请查看标红的项目。"),
                    format!("{n} thing(s) to correct: see the fields marked in red."),
                ));
                // Keyboard users land on the first field to correct, once the issues are drawn.
                set_timeout(
                    move || {
                        if let Some(form) = form_ref.get_untracked()
                            && let Ok(Some(first)) = form.query_selector("[aria-invalid=true]")
                            && let Ok(first) = first.dyn_into::<web_sys::HtmlElement>()
                        {
                            let _ = first.focus();
                        }
                    },
                    std::time::Duration::ZERO,
                );
                return;
            }
            _ => {
                notice.set((
                    "正在检查表单，请稍候再提交。".into(),
                    "Still checking the form; submit again in a moment.".into(),
                ));
                return;
            }
        }
        let json = match serde_json::to_string(&form(components::now())) {
            Ok(json) => json,
            Err(e) => return notice.set((e.to_string(), e.to_string())),
        };
        submitting.set(true);
        leptos::task::spawn_local(async move {
            let answer = api.get_value().submit(&json).await;
            if let Ok(intake) = &answer {
                server_issues.set(intake.validation.as_ref().map(|v| v.result.issues.clone()).unwrap_or_default());
            }
            let accepted = answer.as_ref().ok().filter(|i| i.state != CaseState::Rejected).cloned();
            outcome.set(Some(answer));
            // The case is stored: now its files, one by one, each as declared.
            if let Some(intake) = accepted {
                let chosen = files.get_value();
                uploads.set(vec![Upload::Sending; chosen.len()]);
                for (i, file) in chosen.iter().enumerate() {
                    let done = api.get_value().upload(&intake.case_id, i, &intake.tracking_token, file).await;
                    uploads.update(|u| u[i] = done.map_or_else(|f| Upload::Failed(f.message), |_| Upload::Stored));
                }
            }
            submitting.set(false);
        });
    };

    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let others = move || {
        let shown: Vec<String> = applicable().iter().map(|a| format!("attributes.{}", a.code)).collect();
        const DRAWN: &[&str] = &[
            "district",
            "kind",
            "category",
            "title",
            "description",
            "address",
            "street",
            "reporter.name",
            "reporter.phone",
            "consent",
            "attachments",
        ];
        if !attempted.get() {
            return Vec::new();
        }
        issues
            .get()
            .into_iter()
            .filter(|i| {
                !DRAWN.contains(&i.field.as_str()) && !i.field.starts_with("attachments[") && !shown.contains(&i.field)
            })
            .collect::<Vec<_>>()
    };
    let resolved_street = move || match result.get() {
        Some(Ok(r)) if street.get().is_empty() => {
            r.normalized.street.and_then(|s| divisions::street(&s)).map(|(_, s)| s.name)
        }
        _ => None,
    };
    let streets = move || divisions::district(&district.get()).map(|d| d.streets).unwrap_or_default();

    view! {
        <form class="widget" node_ref=form_ref on:submit=on_submit novalidate=true
            aria-label=move || lang.get().pick("我要反映", "Report a problem")>
            {move || match checker.get() {
                Checker::Server(why) => {
                    let (zh, en) = match why {
                        LoadError::Mismatch { .. } => (
                            "本页下载的校验组件与服务器公布的不一致，已停用；改由服务器检查您填写的内容。",
                            "The checking component this page downloaded does not match the one the server publishes, so it is not used: the server checks your form instead.",
                        ),
                        LoadError::Failed(_) => (
                            "本页无法运行校验组件，改由服务器检查您填写的内容。",
                            "This page cannot run the checking component: the server checks your form instead.",
                        ),
                    };
                    view! { <p id="checker-notice" class="notice" role="note">{move || lang.get().pick(zh, en).to_owned()}</p> }.into_any()
                }
                _ => ().into_any(),
            }}
            {move || match spec.get() {
                Some(Ok(s)) => view! { <p class="schema-name">{s.name}</p> }.into_any(),
                Some(Err(f)) => view! { <p class="notice" role="alert">{f.message}</p> }.into_any(),
                None => ().into_any(),
            }}
            <div class="row">
                <div class="field">
                    <label for="f-district">{t("所在区", "District")}</label>
                    <select id="f-district" aria-describedby="issues-district"
                        on:change=move |ev| { district.set(event_target_value(&ev)); street.set(String::new()); }>
                        {divisions::DISTRICTS.iter().map(|d| view! {
                            <option value=d.code selected=d.code == district.get_untracked()>{d.name}</option>
                        }).collect_view()}
                    </select>
                    <IssueList path="district".to_owned()/>
                </div>
                <div class="field">
                    <label for="f-kind">{t("诉求类型", "Kind of demand")}</label>
                    <select id="f-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        {i18n::KINDS.iter().map(|&k| {
                            let value = i18n::kind(Lang::Zh, k).1;
                            view! { <option value=value selected=value == "complaint">{move || i18n::kind(lang.get(), k).0}</option> }
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <CategorySelect value=category suggestion=suggestion picked=picked/>
            <For each=applicable key=|a| a.code.clone() let:a>
                <AttributeField spec=a attrs=attrs/>
            </For>
            <Field path="title".into() zh="标题".into() en="Title".into() value=title input=Input::Text required=requires("title")/>
            <Field path="description".into() zh="诉求内容".into() en="What happened".into() value=description input=Input::Area required=requires("description")/>
            <Field path="address".into() zh="地址".into() en="Address".into() value=address input=Input::Text required=requires("address") autocomplete="street-address"/>
            <div class="field">
                <label for="f-street">{t("所在街道（乡镇）", "Street (township)")}</label>
                <select id="f-street" aria-describedby="issues-street street-resolved"
                    on:change=move |ev| { street.set(event_target_value(&ev)); touched.update(|t| { t.insert("street".into()); }); }>
                    <option value="" selected=move || street.get().is_empty()>{t("按地址自动判断", "Tell from the address")}</option>
                    {move || streets().iter().map(|s| view! {
                        <option value=s.code selected=move || street.get() == s.code>{s.name}</option>
                    }).collect_view()}
                </select>
                <p id="street-resolved" class="hint">{move || resolved_street().map(|s| match lang.get() {
                    Lang::Zh => format!("根据地址判断为：{s}"),
                    Lang::En => format!("From the address: {s}"),
                })}</p>
                <IssueList path="street".to_owned()/>
            </div>
            <div class="row">
                <Field path="reporter.name".into() zh="称呼".into() en="Your name".into() value=name input=Input::Text required=false autocomplete="name"/>
                <Field path="reporter.phone".into() zh="联系电话".into() en="Phone".into() value=phone input=Input::Tel required=requires("reporter.phone") autocomplete="tel"/>
            </div>
            {move || match spec.get() {
                Some(Ok(s)) => Some(view! { <FilesField spec=s.attachments files=files attachments=attachments/> }),
                _ => None,
            }}
            <div class="field">
                <label class="choice">
                    <input id="f-consent" type="checkbox" aria-describedby="issues-consent"
                        aria-invalid=move || if ctx.has_error("consent") { "true" } else { "false" }
                        on:change=move |ev| { consent.set(event_target_checked(&ev)); ctx.touch("consent"); }/>
                    {t("我同意按个人信息处理说明处理我的信息 *", "I agree to the processing of my personal data *")}
                </label>
                <IssueList path="consent".to_owned()/>
            </div>
            <ul class="issues" id="issues-other">
                <For each=others key=|i| (i.field.clone(), i.code.clone()) let:issue>
                    <li class="issue error" data-code=issue.code.clone()>
                        {move || format!("{}：{}", issue.field, lang.get().message(&issue.message))}
                    </li>
                </For>
            </ul>
            <p id="form-status" class="status" role="status" aria-live="polite">
                {move || {
                    let (zh, en) = notice.get();
                    if !zh.is_empty() {
                        return lang.get().pick(&zh, &en).to_owned();
                    }
                    match (checker.get(), result.get()) {
                        (Checker::Loading, _) => lang.get().pick("正在加载校验组件…", "Loading the checking component…").to_owned(),
                        (_, Some(Err(e))) => format!("{}{e}", lang.get().pick("暂时无法检查：", "Cannot check right now: ")),
                        _ => String::new(),
                    }
                }}
            </p>
            <button id="submit" type="submit" aria-disabled=move || submitting.get().to_string()>
                {move || if submitting.get() { lang.get().pick("提交中…", "Submitting…") } else { lang.get().pick("提交", "Submit") }}
            </button>
            {move || outcome.get().map(|o| view! { <Receipt outcome=o/> })}
            <UploadStatus uploads=uploads/>
            <footer class="provenance">
                {t("校验组件 SHA-256：", "Checking component SHA-256: ")}
                <code id="component-sha256">{move || match checker.get() { Checker::Local(h) => h, _ => String::new() }}</code>
                {move || plugin.get().filter(|_| matches!(checker.get(), Checker::Local(_))).map(|(_, sha)| view! {
                    <br/>{t("区县插件 SHA-256：", "District plugin SHA-256: ")}<code id="plugin-sha256">{sha}</code>
                })}
            </footer>
        </form>
    }
}

pub(crate) use minyi_client::i18n::{minutes, unit_name};

/// What the service answered: the case number, the tracking link and where the case stands.
#[component]
fn Receipt(outcome: Result<Intake, Failed>) -> impl IntoView {
    let embed = expect_context::<Embed>();
    let lang = expect_context::<RwSignal<Lang>>();
    match outcome {
        Ok(intake) => {
            let routing = intake.routing.as_ref().map(|r| r.result.clone());
            let state = intake.state;
            let reason = intake.reason.clone().unwrap_or_default();
            let stands = move || {
                let l = lang.get();
                match state {
                    CaseState::Dispatched => {
                        let unit = unit_name(routing.as_ref().map_or("", |r| r.lead.as_str()));
                        let due = minutes(routing.as_ref().map_or("", |r| r.deadline.as_str()));
                        match l {
                            Lang::Zh => format!("已派单至 {unit}，办理时限 {due}"),
                            Lang::En => format!("Sent to {unit}, due {due}"),
                        }
                    }
                    CaseState::Rejected => match l {
                        Lang::Zh => format!("未受理：请按提示修改后重新提交（{reason}）"),
                        Lang::En => format!("Not accepted: please correct it and submit again ({reason})"),
                    },
                    other => i18n::state(l, other).to_owned(),
                }
            };
            let (id, token) = (intake.case_id.clone(), intake.tracking_token.clone());
            let link = Signal::derive(move || {
                embed.api.url(&format!("/track?case={id}&lang={}#token={token}", lang.get().tag()))
            });
            let tracked = state != CaseState::Rejected;
            view! {
                <section id="receipt" class="receipt" data-state=state.as_str() role="status">
                    <p>{move || lang.get().pick("案件编号：", "Case number: ")}<code id="receipt-case-id">{intake.case_id.clone()}</code></p>
                    <p>{move || lang.get().pick("查询码（请保存，用于查询进度和评价）：", "Tracking code (keep it to follow your case and rate it): ")}
                        <code id="receipt-token">{intake.tracking_token.clone()}</code></p>
                    <p id="receipt-state">{stands}</p>
                    {tracked.then(|| view! {
                        <p><a id="receipt-track" href=link target="_blank" rel="noopener">
                            {move || lang.get().pick("查看办理进度", "Follow your case")}</a></p>
                    })}
                </section>
            }
            .into_any()
        }
        Err(failed) => {
            let text = move || {
                let l = lang.get();
                match failed.status {
                    0 => format!(
                        "{}{}",
                        l.pick("网络错误，未能提交：", "Network error, not submitted: "),
                        failed.message
                    ),
                    503 => format!(
                        "{}{}",
                        l.pick(
                            "服务暂不可用，未保存，请稍后重试：",
                            "Service unavailable, nothing was stored; try again later: "
                        ),
                        failed.message
                    ),
                    s => format!("{} ({s}): {}", l.pick("提交失败", "Submission failed"), failed.message),
                }
            };
            view! { <section id="receipt" class="receipt failed" data-state="failed" role="alert"><p id="receipt-state">{text}</p></section> }.into_any()
        }
    }
}
