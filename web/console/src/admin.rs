//! A district's set-up, for its admin (the city admin picks the district): its own rule set and form
//! schema (versions, upload, activate — the service checks again and answers a refusal with its check
//! report, shown as is — and roll back), its plugins (versions, the one running, faults; activate, roll
//! back, disable) and the tokens of its staff (list, make — the secret shown this once — and revoke).
//! Every list and every refusal is the service's answer.

use crate::session::{Me, Session};
use leptos::prelude::*;
use minyi_client::http::{Failed, encode};
use minyi_client::i18n::{Lang, unit_name};
use minyi_model::divisions;
use serde_json::{Value, json};

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// What an admin action answered, for the status line: done, or the service's refusal.
type Outcome = Option<Result<String, Failed>>;

#[component]
fn OutcomeLine(id: &'static str, outcome: RwSignal<Outcome>) -> impl IntoView {
    view! {
        <div role="status" aria-live="polite" id=id>
            {move || outcome.get().map(|o| match o {
                Ok(done) => view! { <p class="done">{done}</p> }.into_any(),
                Err(f) => view! { <pre class="error refusal">{format!("{} {}", f.code, f.message)}</pre> }.into_any(),
            })}
        </div>
    }
}

/// The district set-up page.
#[component]
pub fn AdminPage(me: Me) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let district = RwSignal::new(me.district.clone().unwrap_or_else(|| "110105".to_owned()));
    let city = me.district.is_none();
    view! {
        <section class="admin" aria-labelledby="admin-title">
            <h1 id="admin-title">{t("区级配置", "District set-up")}" · "{move || unit_name(&district.get())}</h1>
            {city.then(|| view! {
                <form class="filters">
                    <label for="admin-district">{t("区", "District")}</label>
                    <select id="admin-district" on:change=move |ev| district.set(event_target_value(&ev))>
                        {divisions::DISTRICTS.iter().map(|d| view! {
                            <option value=d.code selected=move || district.get() == d.code>{d.name}</option>
                        }).collect_view()}
                    </select>
                </form>
            })}
            {move || {
                let d = district.get();
                view! {
                    <DataSection district=d.clone() kind="rules" title=("路由规则集", "Routing rule set")/>
                    <DataSection district=d.clone() kind="schema" title=("诉求表单", "Case-form schema")/>
                    <PluginSection district=d/>
                    <TokenSection district=district.get()/>
                }
            }}
        </section>
    }
}

/// A district's rule sets or schemas.
#[component]
fn DataSection(district: String, kind: &'static str, title: (&'static str, &'static str)) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let base = StoredValue::new(format!("/api/admin/districts/{}/{kind}", encode(&district)));
    let versions = RwSignal::new(None::<Result<Vec<Value>, Failed>>);
    let outcome = RwSignal::new(None);
    let (source, version) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let load = move || {
        leptos::task::spawn_local(async move {
            versions.set(Some(session.call("GET", &base.get_value(), None, &[200]).await));
        });
    };
    load();
    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let v = version.get_untracked();
        let path = if v.trim().is_empty() {
            base.get_value()
        } else {
            format!("{}?version={}", base.get_value(), encode(v.trim()))
        };
        leptos::task::spawn_local(async move {
            let answer: Result<Value, Failed> = session.post_text(&path, &source.get_untracked(), &[201]).await;
            outcome.set(Some(answer.map(|v| format!("stored {} ({})", text(&v, "version"), text(&v, "sha256")))));
            load();
        });
    };
    let act = move |what: &'static str, body: Option<Value>| {
        let path = format!("{}/{what}", base.get_value());
        leptos::task::spawn_local(async move {
            let body = body.map(|b| b.to_string());
            let answer: Result<Value, Failed> = session.call("POST", &path, body.as_deref(), &[200]).await;
            outcome.set(Some(answer.map(|v| format!("{what}: active {}", text(&v, "active")))));
            load();
        });
    };
    let id = move |part: &str| format!("{kind}-{part}");
    view! {
        <section aria-labelledby=id("title") class="data">
            <h2 id=id("title")>{move || lang.get().pick(title.0, title.1).to_owned()}</h2>
            {move || match versions.get() {
                None => view! { <p role="status">{t("加载中……", "Loading…")}</p> }.into_any(),
                Some(Err(f)) => view! { <p role="alert" class="error">{f.message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p>{t("尚无本区版本，适用全市默认。", "No version of the district's own: the city's default applies.")}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table id=id("versions")>
                        <thead><tr>
                            <th scope="col">{t("版本", "Version")}</th><th scope="col">"SHA-256"</th>
                            <th scope="col">{t("上传者", "Uploaded by")}</th><th scope="col">{t("状态", "State")}</th>
                            <th scope="col">{t("操作", "Action")}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|v| {
                                let version = text(&v, "version");
                                let active = v["active"] == Value::Bool(true);
                                let button = version.clone();
                                view! {
                                    <tr data-version=version.clone()>
                                        <td>{version.clone()}</td><td><code>{text(&v, "sha256").chars().take(12).collect::<String>()}</code></td>
                                        <td>{text(&v, "uploaded_by")}</td>
                                        <td>{move || if active { lang.get().pick("生效中", "Active") } else { "" }}</td>
                                        <td>{(!active).then(|| view! {
                                            <button type="button" class="activate" on:click=move |_| act("activate", Some(json!({"version": button.clone()})))>
                                                {t("启用", "Activate")}" "{version.clone()}</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <button type="button" id=id("rollback") on:click=move |_| act("rollback", None)>{t("回退到上一版本", "Roll back")}</button>
                }.into_any(),
            }}
            <form class="upload" on:submit=upload>
                <label for=id("source")>{t("上传新版本（TOML）", "Upload a version (TOML)")}</label>
                <textarea id=id("source") rows="6" spellcheck="false" prop:value=move || source.get()
                    on:input=move |ev| source.set(event_target_value(&ev))></textarea>
                <label for=id("version")>{t("版本号", "Version")}</label>
                <input id=id("version") type="text" prop:value=move || version.get() on:input=move |ev| version.set(event_target_value(&ev))/>
                <button type="submit" id=id("upload")>{t("上传", "Upload")}</button>
            </form>
            <OutcomeLine id=if kind == "rules" { "rules-outcome" } else { "schema-outcome" } outcome=outcome/>
        </section>
    }
}

/// A district's plugins.
#[component]
fn PluginSection(district: String) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let base = StoredValue::new(format!("/api/admin/plugins/{}", encode(&district)));
    let list = RwSignal::new(None::<Result<Value, Failed>>);
    let outcome = RwSignal::new(None);
    let load = move || {
        leptos::task::spawn_local(async move {
            list.set(Some(session.call("GET", &base.get_value(), None, &[200]).await));
        });
    };
    load();
    let act = move |what: &'static str, body: Option<Value>| {
        let path = format!("{}/{what}", base.get_value());
        leptos::task::spawn_local(async move {
            let body = body.map(|b| b.to_string());
            let answer: Result<Value, Failed> = session.call("POST", &path, body.as_deref(), &[200]).await;
            outcome.set(Some(answer.map(|_| format!("{what}: done"))));
            load();
        });
    };
    view! {
        <section aria-labelledby="plugins-title">
            <h2 id="plugins-title">{t("插件", "Plugins")}</h2>
            {move || match list.get() {
                None => view! { <p role="status">{t("加载中……", "Loading…")}</p> }.into_any(),
                Some(Err(f)) => view! { <p role="alert" class="error">{f.message}</p> }.into_any(),
                Some(Ok(v)) => {
                    let versions = v["versions"].as_array().cloned().unwrap_or_default();
                    let faults = v["faults"].as_array().cloned().unwrap_or_default();
                    view! {
                        {versions.is_empty().then(|| view! { <p>{t("本区没有插件。", "The district has no plugin.")}</p> })}
                        {(!versions.is_empty()).then(|| view! {
                            <table id="plugin-versions">
                                <thead><tr>
                                    <th scope="col">{t("插件", "Plugin")}</th><th scope="col">{t("版本", "Version")}</th>
                                    <th scope="col">{t("钩子", "Hooks")}</th><th scope="col">{t("状态", "State")}</th>
                                    <th scope="col">{t("操作", "Action")}</th>
                                </tr></thead>
                                <tbody>
                                    {versions.into_iter().map(|p| {
                                        let (name, version) = (text(&p, "name"), text(&p, "version"));
                                        let active = p["active"] == Value::Bool(true);
                                        let disabled = text(&p, "disabled");
                                        let body = json!({"name": name.clone(), "version": version.clone()});
                                        let (plugin, at) = (name.clone(), version.clone());
                                        view! {
                                            <tr data-plugin=plugin data-version=at>
                                                <td>{name}</td><td>{version}</td><td>{text(&p, "hooks")}</td>
                                                <td>{move || match (active, disabled.is_empty()) {
                                                    (true, true) => lang.get().pick("生效中", "Active").to_owned(),
                                                    (true, false) => format!("{} {disabled}", lang.get().pick("已停用：", "Disabled:")),
                                                    _ => String::new(),
                                                }}</td>
                                                <td>{if active {
                                                    view! { <button type="button" class="disable" on:click=move |_| act("disable", Some(json!({"reason": "console"})))>{t("停用", "Disable")}</button> }.into_any()
                                                } else {
                                                    view! { <button type="button" class="activate" on:click=move |_| act("activate", Some(body.clone()))>{t("启用", "Activate")}</button> }.into_any()
                                                }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <button type="button" id="plugin-rollback" on:click=move |_| act("rollback", None)>{t("回退到上一版本", "Roll back")}</button>
                        })}
                        <h3>{t("最近的故障", "Newest faults")}</h3>
                        <ul id="plugin-faults">
                            {faults.iter().map(|f| view! {
                                <li>{text(f, "plugin")}" "{text(f, "version")}" · "{text(f, "case_id")}" · "{text(f, "kind")}": "{text(f, "message")}</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <OutcomeLine id="plugins-outcome" outcome=outcome/>
        </section>
    }
}

/// The tokens the admin may see; making and revoking them.
#[component]
fn TokenSection(district: String) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let tokens = RwSignal::new(None::<Result<Value, Failed>>);
    let outcome = RwSignal::new(None);
    let (role, unit, name) =
        (RwSignal::new("operator".to_owned()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let load = move || {
        leptos::task::spawn_local(async move {
            tokens.set(Some(session.call("GET", "/api/admin/tokens", None, &[200]).await));
        });
    };
    load();
    let district = StoredValue::new(district);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let unit = Some(unit.get_untracked()).filter(|u| !u.trim().is_empty());
        // An operator's district follows from its street; the other roles are of the district shown.
        let district = Some(district.get_value()).filter(|_| role.get_untracked() != "operator");
        let body =
            json!({"role": role.get_untracked(), "unit": unit, "district": district, "name": name.get_untracked()});
        leptos::task::spawn_local(async move {
            let answer: Result<Value, Failed> =
                session.call("POST", "/api/admin/tokens", Some(&body.to_string()), &[201]).await;
            outcome
                .set(Some(answer.map(|v| format!("{} {} — {}", text(&v, "id"), text(&v, "role"), text(&v, "token")))));
            load();
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            let path = format!("/api/admin/tokens/{}/revoke", encode(&id));
            let answer: Result<Value, Failed> = session.call("POST", &path, Some("{}"), &[200]).await;
            outcome.set(Some(answer.map(|v| format!("revoked {}", text(&v, "id")))));
            load();
        });
    };
    view! {
        <section aria-labelledby="tokens-title">
            <h2 id="tokens-title">{t("工作令牌", "Staff tokens")}</h2>
            {move || match tokens.get() {
                None => view! { <p role="status">{t("加载中……", "Loading…")}</p> }.into_any(),
                Some(Err(f)) => view! { <p role="alert" class="error">{f.message}</p> }.into_any(),
                Some(Ok(v)) => view! {
                    <table id="tokens">
                        <thead><tr>
                            <th scope="col">"ID"</th><th scope="col">{t("角色", "Role")}</th><th scope="col">{t("区", "District")}</th>
                            <th scope="col">{t("单位", "Unit")}</th><th scope="col">{t("名称", "Name")}</th><th scope="col">{t("操作", "Action")}</th>
                        </tr></thead>
                        <tbody>
                            {v["tokens"].as_array().cloned().unwrap_or_default().into_iter().map(|k| {
                                let id = text(&k, "id");
                                let revoking = id.clone();
                                let live = k["revoked_at"].is_null();
                                view! {
                                    <tr data-token=id.clone()>
                                        <td><code>{id.clone()}</code></td><td>{text(&k, "role")}</td><td>{text(&k, "district")}</td>
                                        <td>{text(&k, "unit")}</td><td>{text(&k, "name")}</td>
                                        <td>{if live {
                                            view! { <button type="button" class="revoke" on:click=move |_| revoke(revoking.clone())>{t("吊销", "Revoke")}</button> }.into_any()
                                        } else {
                                            view! { <span>{t("已吊销", "Revoked")}</span> }.into_any()
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <form class="upload" on:submit=create>
                <label for="token-role">{t("角色", "Role")}</label>
                <select id="token-role" on:change=move |ev| role.set(event_target_value(&ev))>
                    {[("operator", "承办单位", "Unit operator"), ("reviewer", "考核审核员", "Reviewer"), ("client", "接入平台", "Client platform"), ("district", "区级管理员", "District admin")]
                        .into_iter().map(|(value, zh, en)| view! { <option value=value>{move || lang.get().pick(zh, en).to_owned()}</option> }).collect_view()}
                </select>
                <label for="token-unit">{t("单位代码（承办单位）", "Unit code (operators)")}</label>
                <input id="token-unit" type="text" prop:value=move || unit.get() on:input=move |ev| unit.set(event_target_value(&ev))/>
                <label for="token-name">{t("名称", "Name")}</label>
                <input id="token-name" type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" id="token-create">{t("发放令牌", "Make a token")}</button>
            </form>
            <p class="hint">{t("新令牌只显示这一次。", "A new token is shown this once.")}</p>
            <OutcomeLine id="tokens-outcome" outcome=outcome/>
        </section>
    }
}
