//! The case page: the case as `GET /api/cases/{id}` gives it to this role (the service decides what
//! it may read and writes the read to the audit trail), the routing explanation (rules fired and near
//! misses with the failed condition), the timeline, the plugin faults, and a form for each action in
//! the answer's `actions` — the ones the role table and the lifecycle allow now, so an illegal action
//! is never offered. An action is `POST /api/cases/{id}/events`; the page then reloads the case.

use crate::queue::category_name;
use crate::session::Session;
use leptos::prelude::*;
use minyi_client::http::{Failed, encode};
use minyi_client::i18n::{self, Lang, minutes, unit_name};
use serde_json::{Map, Value, json};

/// The inputs an action takes: (field, zh, en, kind) with kind `text`, `long`, `bool`, `deadline`,
/// `satisfaction` or `exclusion`.
fn inputs(action: &str) -> &'static [(&'static str, &'static str, &'static str, &'static str)] {
    match action {
        "returned" => &[("reason", "退单理由", "Why it is not this unit's", "long")],
        "extension_requested" => &[("reason", "延期理由", "Why more time is needed", "long")],
        "extension_denied" | "pending_manual" => &[("reason", "理由", "Reason", "long")],
        "reopened" => &[("reason", "重新办理理由", "Why it is reopened", "long")],
        "replied" => &[
            ("message", "答复内容", "The reply to the citizen", "long"),
            ("resolved", "问题已解决", "Resolved", "bool"),
        ],
        "dispatched" => &[("unit", "承办单位代码", "Unit code", "text")],
        "ruling" => &[("decision", "审定意见", "Ruling", "long")],
        "extension_approved" => &[("deadline", "新的答复时限", "New deadline", "deadline")],
        "callback" => &[
            ("resolved", "问题已解决", "Resolved", "bool"),
            ("satisfaction", "满意度", "Satisfaction", "satisfaction"),
            ("comment", "诉求人意见", "The citizen's words", "long"),
        ],
        "excluded" => {
            &[("reason", "不计入考核的原因", "Why it is not counted", "exclusion"), ("note", "说明", "Note", "long")]
        }
        "exclusion_revoked" => &[("note", "说明", "Note", "long")],
        _ => &[],
    }
}

/// The case page.
#[component]
pub fn CasePage(id: String) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let case = RwSignal::new(None::<Result<Value, Failed>>);
    let id = StoredValue::new(id);
    let load = move || {
        let path = format!("/api/cases/{}", encode(&id.get_value()));
        leptos::task::spawn_local(async move {
            case.set(Some(session.call("GET", &path, None, &[200]).await));
        });
    };
    load();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    view! {
        <section class="case" aria-labelledby="case-title">
            <p><a href="#/queue" id="back">{t("← 返回列表", "← Back to the list")}</a></p>
            <h1 id="case-title">{move || id.get_value()}</h1>
            {move || match case.get() {
                None => view! { <p role="status">{t("加载中……", "Loading…")}</p> }.into_any(),
                Some(Err(f)) => {
                    let text = match f.status {
                        403 | 404 => lang.get().pick("没有这个案件，或您无权查看。", "No such case, or it is not yours to read.").to_owned(),
                        _ => f.message,
                    };
                    view! { <p role="alert" class="error">{text}</p> }.into_any()
                }
                Some(Ok(v)) => view! { <CaseView case=v reload=Callback::new(move |()| load())/> }.into_any(),
            }}
        </section>
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

#[component]
fn CaseView(case: Value, reload: Callback<()>) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let state: Option<minyi_model::CaseState> = serde_json::from_value(case["state"].clone()).ok();
    let form = case["form"].clone();
    let decision = case["decision"].clone();
    let category = text(&form, "category");
    let fired = decision["explanation"]["fired"].as_array().cloned().unwrap_or_default();
    let misses = decision["explanation"]["near_misses"].as_array().cloned().unwrap_or_default();
    let events = case["events"].as_array().cloned().unwrap_or_default();
    let faults = case["plugin_faults"].as_array().cloned().unwrap_or_default();
    let actions: Vec<String> =
        case["actions"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_owned)).collect();
    let reporter = form["reporter"].clone();
    let (lead, deadline, tier) = (text(&decision, "lead"), text(&decision, "deadline"), text(&decision, "tier"));
    let case_id = text(&case, "case_id");
    let admin = expect_context::<Session>().me.get_untracked().is_some_and(|m| m.administers());
    let validation = case["validation"].clone();
    let notes = move || {
        let l = lang.get();
        [plugin_note(l, &validation), plugin_note(l, &decision)].into_iter().flatten().collect::<Vec<_>>()
    };
    view! {
        <dl class="facts">
            <dt>{t("状态", "State")}</dt><dd id="case-state">{move || state.map(|s| i18n::state(lang.get(), s)).unwrap_or_default()}</dd>
            <dt>{t("类别", "Category")}</dt><dd>{move || category_name(lang.get(), &category)}</dd>
            <dt>{t("标题", "Title")}</dt><dd>{text(&form, "title")}</dd>
            <dt>{t("诉求内容", "Description")}</dt><dd id="case-description">{text(&form, "description")}</dd>
            <dt>{t("地址", "Address")}</dt><dd>{text(&form, "address")}</dd>
            <dt>{t("诉求人电话", "Reporter's phone")}</dt><dd>{text(&reporter, "phone")}</dd>
            <dt>{t("受理时间", "Received")}</dt><dd>{minutes(&text(&case, "received_at"))}</dd>
        </dl>
        <section aria-labelledby="routing-title" id="routing">
            <h2 id="routing-title">{t("派单依据", "Why it went where it went")}</h2>
            <p>{t("承办单位：", "Lead unit: ")}<strong id="routing-lead">{unit_name(&lead)}</strong>
               " (" {lead.clone()} ") · " {t("时限等级：", "Tier: ")} {tier} " · " {t("答复时限：", "Deadline: ")} {minutes(&deadline)}</p>
            <ul id="plugin-notes">{move || notes().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            <h3>{t("命中的规则", "Rules that fired")}</h3>
            <ul id="fired">
                {fired.iter().map(|r| view! { <li><code>{text(r, "rule")}</code>" — "{text(r, "why")}</li> }).collect_view()}
            </ul>
            <h3>{t("未命中的相近规则", "Near misses")}</h3>
            <ul id="near-misses">
                {misses.iter().map(|r| view! { <li><code>{text(r, "rule")}</code>" — "{text(r, "failed")}</li> }).collect_view()}
            </ul>
        </section>
        <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t("办理过程", "Timeline")}</h2>
            <ol id="timeline">
                {events.iter().map(|e| {
                    let kind = text(e, "type");
                    let detail = if kind == "category_suggested" {
                        suggestion(lang.get_untracked(), e)
                    } else {
                        ["reason", "message", "decision", "unit", "deadline", "note", "satisfaction", "comment"]
                            .iter().filter_map(|k| e.get(*k).and_then(Value::as_str)).collect::<Vec<_>>().join(" · ")
                    };
                    let (at, by, data) = (minutes(&text(e, "at")), text(e, "by"), kind.clone());
                    view! {
                        <li data-type=data><time>{at}</time>" "<strong>{move || i18n::step(lang.get(), &kind)}</strong>
                            " "<span class="by">{by}</span>" "<span>{detail}</span></li>
                    }
                }).collect_view()}
            </ol>
        </section>
        {(!faults.is_empty()).then(|| view! {
            <section aria-labelledby="faults-title">
                <h2 id="faults-title">{t("插件故障", "Plugin faults")}</h2>
                <ul id="faults">
                    {faults.iter().map(|f| view! {
                        <li>{text(f, "plugin")}" "{text(f, "version")}" · "{text(f, "hook")}" · "{text(f, "kind")}": "{text(f, "message")}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <Actions case_id=case_id.clone() actions=actions reload=reload/>
        {admin.then(|| view! { <Replay case_id=case_id/> })}
    }
}

/// A category suggestion as an operator reads it: what was filled in (or that the classifier
/// abstained), then the three likeliest with their confidences.
fn suggestion(lang: Lang, e: &Value) -> String {
    let percent = |v: &Value| format!("{:.0} %", v.as_f64().unwrap_or(0.0) * 100.0);
    let chosen = match e.get("category").and_then(Value::as_str) {
        Some(c) => format!("{}{}", lang.pick("已填入 ", "filled in "), category_name(lang, c)),
        None => lang.pick("置信度不足，未填入", "not confident enough: left to a person").to_owned(),
    };
    let top = e.get("top").and_then(Value::as_array).map(|top| {
        top.iter()
            .map(|s| format!("{} {}", category_name(lang, &text(s, "category")), percent(&s["confidence"])))
            .collect::<Vec<_>>()
            .join(", ")
    });
    format!("{chosen} · {}{}", lang.pick("可能的分类：", "likeliest: "), top.unwrap_or_default())
}

/// What the district's plugin did to a kept result (`plugin` of a noted validation or routing).
fn plugin_note(lang: Lang, result: &Value) -> Option<String> {
    let note = result.get("plugin").filter(|n| !n.is_null())?;
    let name = format!("{} {}", text(note, "name"), text(note, "version"));
    let fault = note.get("fault").filter(|f| !f.is_null()).map(|f| text(f, "kind"));
    Some(match (fault, note["applied"] == Value::Bool(true)) {
        (Some(kind), _) => {
            format!("{name}: {}{kind}", lang.pick("故障，采用基础结果：", "fault, the base result stands: "))
        }
        (None, true) => format!("{name}: {}", lang.pick("已采用插件结果", "its result applied")),
        (None, false) => format!("{name}: {}", lang.pick("未改变结果", "left the result as it was")),
    })
}

/// The case's decisions run again (`GET /api/cases/{id}/replay`), for its district's admins.
#[component]
fn Replay(case_id: String) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let replayed = RwSignal::new(None::<Result<Value, Failed>>);
    let path = StoredValue::new(format!("/api/cases/{}/replay", encode(&case_id)));
    let run = move |_| {
        replayed.set(None);
        leptos::task::spawn_local(async move {
            replayed.set(Some(session.call("GET", &path.get_value(), None, &[200]).await));
        });
    };
    let verdict = |v: &Value| match text(v, "verdict").as_str() {
        "differs" => format!("differs at {}: {} → {}", text(v, "field"), v["recorded"], v["replayed"]),
        "unavailable" => format!("unavailable: {}", text(v, "reason")),
        other => other.to_owned(),
    };
    view! {
        <section aria-labelledby="replay-title">
            <h2 id="replay-title">{t("决策重放", "Replay its decisions")}</h2>
            <button type="button" id="replay" on:click=run>{t("按记录重放", "Run them again")}</button>
            {move || replayed.get().map(|r| match r {
                Err(f) => view! { <p role="alert" class="error">{f.message}</p> }.into_any(),
                Ok(v) => view! {
                    <table id="replay-steps">
                        <thead><tr>
                            <th scope="col">{t("决策", "Decision")}</th>
                            <th scope="col">{t("按记录的组件与规则", "On the recorded deciders")}</th>
                            <th scope="col">{t("按今天的组件与规则", "On today's deciders")}</th>
                        </tr></thead>
                        <tbody>
                            {v["steps"].as_array().cloned().unwrap_or_default().iter().map(|step| view! {
                                <tr data-step=text(step, "step")>
                                    <td>{text(step, "step")}</td>
                                    <td>{verdict(&step["recorded"])}</td>
                                    <td>{verdict(&step["today"])}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </section>
    }
}

/// The actions the service offers this role on this case now, one form at a time.
#[component]
fn Actions(case_id: String, actions: Vec<String>, reload: Callback<()>) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let chosen = RwSignal::new(actions.first().cloned().unwrap_or_default());
    let values = RwSignal::new(Map::<String, Value>::new());
    let failed = RwSignal::new(None::<Failed>);
    let busy = RwSignal::new(false);
    let case_id = StoredValue::new(case_id);
    if actions.is_empty() {
        return view! {
            <section aria-labelledby="actions-title" id="actions">
                <h2 id="actions-title">{t("可办理操作", "Actions")}</h2>
                <p id="no-actions">{t("此案件当前没有您可办理的操作。", "There is nothing for you to do on this case now.")}</p>
            </section>
        }
        .into_any();
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = values.get_untracked();
        body.insert("type".into(), json!(chosen.get_untracked()));
        let path = format!("/api/cases/{}/events", encode(&case_id.get_value()));
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer: Result<Value, Failed> =
                session.call("POST", &path, Some(&Value::Object(body).to_string()), &[200, 201]).await;
            busy.set(false);
            match answer {
                Ok(_) => {
                    values.set(Map::new());
                    failed.set(None);
                    reload.run(());
                }
                Err(f) => failed.set(Some(f)),
            }
        });
    };
    let set = move |field: &'static str, v: Value| {
        values.update(|m| {
            m.insert(field.to_owned(), v);
        })
    };
    view! {
        <section aria-labelledby="actions-title" id="actions">
            <h2 id="actions-title">{t("可办理操作", "Actions")}</h2>
            <form on:submit=submit>
                <label for="action">{t("操作", "Action")}</label>
                <select id="action" on:change=move |ev| { chosen.set(event_target_value(&ev)); values.set(Map::new()); failed.set(None); }>
                    {actions.iter().map(|a| {
                        let (value, kind) = (a.clone(), a.clone());
                        view! { <option value=value>{move || i18n::step(lang.get(), &kind)}</option> }
                    }).collect_view()}
                </select>
                {move || inputs(&chosen.get()).iter().map(|&(field, zh, en, kind)| {
                    let id = format!("a-{field}");
                    let label = move || lang.get().pick(zh, en).to_owned();
                    match kind {
                        "bool" => view! {
                            <div class="check"><input id=id.clone() type="checkbox" on:change=move |ev| set(field, json!(event_target_checked(&ev)))/>
                            <label for=id>{label}</label></div>
                        }.into_any(),
                        "satisfaction" => view! {
                            <label for=id.clone()>{label}</label>
                            <select id=id on:change=move |ev| set(field, json!(event_target_value(&ev)))>
                                <option value="">"—"</option>
                                {i18n::SATISFACTION.iter().map(|&s| {
                                    let value = i18n::satisfaction(Lang::Zh, s).1;
                                    view! { <option value=value>{move || i18n::satisfaction(lang.get(), s).0}</option> }
                                }).collect_view()}
                            </select>
                        }.into_any(),
                        "exclusion" => view! {
                            <label for=id.clone()>{label}</label>
                            <select id=id on:change=move |ev| set(field, json!(event_target_value(&ev)))>
                                <option value="">"—"</option>
                                {[("invalid", "无效诉求", "Not a valid demand"), ("unreasonable", "不合理诉求", "Unreasonable demand")]
                                    .into_iter().map(|(value, zh, en)| view! { <option value=value>{move || lang.get().pick(zh, en).to_owned()}</option> }).collect_view()}
                            </select>
                        }.into_any(),
                        // A deadline as Beijing time: the service takes RFC 3339.
                        "deadline" => view! {
                            <label for=id.clone()>{label}</label>
                            <input id=id type="datetime-local" on:input=move |ev| set(field, json!(format!("{}:00+08:00", event_target_value(&ev))))/>
                        }.into_any(),
                        "long" => view! {
                            <label for=id.clone()>{label}</label>
                            <textarea id=id rows="3" on:input=move |ev| set(field, json!(event_target_value(&ev)))></textarea>
                        }.into_any(),
                        _ => view! {
                            <label for=id.clone()>{label}</label>
                            <input id=id type="text" on:input=move |ev| set(field, json!(event_target_value(&ev)))/>
                        }.into_any(),
                    }
                }).collect_view()}
                <button type="submit" id="act" disabled=move || busy.get()>{t("提交", "Submit")}</button>
            </form>
            <div role="alert" id="action-error">
                {move || failed.get().map(|f| view! { <p class="error">{f.message}</p> })}
            </div>
        </section>
    }
    .into_any()
}
