//! The tracking page (opened by case number and tracking token, e.g. from the receipt's link): where
//! the case stands, who holds it, the deadline, the unit's reply and the timeline — nothing personal —
//! and, once the unit has replied, the callback survey (回访).

use crate::Embed;
use crate::api::Failed;
use crate::widget::{minutes, unit_name};
use leptos::prelude::*;
use minyi_client::i18n::{self, Lang};
use minyi_model::{CaseState, Progress};
use serde_json::json;

/// The tracking page.
#[component]
pub fn TrackPage() -> impl IntoView {
    let embed = expect_context::<Embed>();
    let lang = expect_context::<RwSignal<Lang>>();
    let api = StoredValue::new(embed.api.clone());
    let case_id = RwSignal::new(embed.case_id.clone());
    let token = RwSignal::new(embed.token.clone());
    let progress = RwSignal::new(None::<Result<Progress, Failed>>);
    let load = move || {
        let (id, secret) = (case_id.get_untracked().trim().to_owned(), token.get_untracked().trim().to_owned());
        if id.is_empty() || secret.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            progress.set(Some(api.get_value().progress(&id, &secret).await));
        });
    };
    load();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    view! {
        <section class="track" aria-labelledby="track-title">
            <h2 id="track-title">{t("诉求办理进度", "Your case")}</h2>
            <form class="lookup" on:submit=move |ev| { ev.prevent_default(); load(); }>
                <div class="field">
                    <label for="t-case">{t("案件编号", "Case number")}</label>
                    <input id="t-case" type="text" autocomplete="off" prop:value=move || case_id.get()
                        on:input=move |ev| case_id.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="t-token">{t("查询码", "Tracking code")}</label>
                    <input id="t-token" type="text" autocomplete="off" spellcheck="false" prop:value=move || token.get()
                        on:input=move |ev| token.set(event_target_value(&ev))/>
                </div>
                <button type="submit" id="t-lookup">{t("查询", "Look up")}</button>
            </form>
            <div id="track-status" role="status" aria-live="polite">
                {move || match progress.get() {
                    None => ().into_any(),
                    Some(Err(f)) => {
                        let text = move || match f.status {
                            401 | 403 | 404 => lang.get().pick("案件编号或查询码不正确。", "The case number or tracking code is not right.").to_owned(),
                            _ => format!("{}{}", lang.get().pick("暂时无法查询：", "Cannot look it up right now: "), f.message),
                        };
                        view! { <p class="notice">{text}</p> }.into_any()
                    }
                    Some(Ok(p)) => view! { <ProgressView progress=p on_answered=Callback::new(move |()| load())/> }.into_any(),
                }}
            </div>
        </section>
    }
}

/// One case's progress, and the callback survey when it is due.
#[component]
fn ProgressView(progress: Progress, on_answered: Callback<()>) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let p = StoredValue::new(progress.clone());
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let lead = progress.lead.as_deref().map(unit_name);
    let deadline = progress.deadline.as_deref().map(minutes);
    let survey = progress.state == CaseState::Replied;
    view! {
        <dl class="progress" id="track-progress" data-state=progress.state.as_str()>
            <dt>{t("案件编号", "Case number")}</dt><dd id="track-case-id">{progress.case_id.clone()}</dd>
            <dt>{t("状态", "Status")}</dt><dd id="track-state">{move || i18n::state(lang.get(), p.with_value(|p| p.state))}</dd>
            {lead.map(|u| view! { <dt>{t("承办单位", "Handled by")}</dt><dd id="track-unit">{u}</dd> })}
            {deadline.map(|d| view! { <dt>{t("办理时限", "Due")}</dt><dd id="track-deadline">{d}</dd> })}
            {progress.reply.clone().and_then(|r| r.message).map(|m| view! {
                <dt>{t("答复", "Reply")}</dt><dd id="track-reply">{m}</dd>
            })}
            {progress.callback.clone().map(|c| view! {
                <dt>{t("您的评价", "Your rating")}</dt>
                <dd id="track-callback">{move || i18n::satisfaction(lang.get(), c.satisfaction).0}</dd>
            })}
        </dl>
        <h3>{t("办理过程", "Timeline")}</h3>
        <ol class="timeline" id="track-timeline">
            {progress.history.iter().map(|s| {
                let (kind, data) = (s.kind.clone(), s.kind.clone());
                let at = minutes(&s.at);
                view! { <li data-type=data><time>{at}</time>" "{move || i18n::step(lang.get(), &kind)}</li> }
            }).collect_view()}
        </ol>
        {survey.then(|| view! { <Survey case_id=progress.case_id.clone() on_answered=on_answered/> })}
    }
}

/// The callback survey: resolved? how satisfied? a comment.
#[component]
fn Survey(case_id: String, on_answered: Callback<()>) -> impl IntoView {
    let embed = expect_context::<Embed>();
    let lang = expect_context::<RwSignal<Lang>>();
    let resolved = RwSignal::new(None::<bool>);
    let satisfaction = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let api = StoredValue::new(embed.api.clone());
    let token = StoredValue::new(embed.token.clone());
    let case_id = StoredValue::new(case_id);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = lang.get_untracked();
        let (Some(resolved), false) = (resolved.get_untracked(), satisfaction.get_untracked().is_empty()) else {
            status.set(l.pick("请回答两个问题后再提交。", "Please answer both questions first.").to_owned());
            return;
        };
        let answers = json!({
            "resolved": resolved,
            "satisfaction": satisfaction.get_untracked(),
            "comment": Some(comment.get_untracked()).filter(|c| !c.trim().is_empty()),
        });
        status.set(l.pick("提交中…", "Sending…").to_owned());
        leptos::task::spawn_local(async move {
            let token = token.get_value();
            match api.get_value().callback(&case_id.get_value(), &token, &answers).await {
                Ok(_) => {
                    status.set(l.pick("感谢您的评价。", "Thank you for your answer.").to_owned());
                    on_answered.run(());
                }
                Err(f) => status.set(format!("{}{}", l.pick("未能提交：", "Not sent: "), f.message)),
            }
        });
    };
    view! {
        <form class="survey" id="survey" on:submit=on_submit aria-labelledby="survey-title">
            <h3 id="survey-title">{t("回访：请评价办理结果", "Callback: how did it go?")}</h3>
            <fieldset class="field">
                <legend>{t("问题解决了吗？", "Was the problem solved?")}</legend>
                <label class="choice"><input type="radio" name="resolved" id="s-resolved-yes" value="yes"
                    on:change=move |_| resolved.set(Some(true))/>{t("已解决", "Yes")}</label>
                <label class="choice"><input type="radio" name="resolved" id="s-resolved-no" value="no"
                    on:change=move |_| resolved.set(Some(false))/>{t("未解决", "No")}</label>
            </fieldset>
            <fieldset class="field">
                <legend>{t("您对办理结果满意吗？", "How satisfied are you?")}</legend>
                {i18n::SATISFACTION.iter().map(|&s| {
                    let value = i18n::satisfaction(Lang::Zh, s).1;
                    view! {
                        <label class="choice"><input type="radio" name="satisfaction" id=format!("s-{value}") value=value
                            on:change=move |_| satisfaction.set(value.to_owned())/>
                            {move || i18n::satisfaction(lang.get(), s).0}</label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="field">
                <label for="s-comment">{t("意见（选填）", "Comment (optional)")}</label>
                <textarea id="s-comment" rows="3" prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            </div>
            <p id="survey-status" class="status" role="status" aria-live="polite">{move || status.get()}</p>
            <button type="submit" id="s-submit">{t("提交评价", "Send")}</button>
        </form>
    }
}
