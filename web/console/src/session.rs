//! Signing in: the staff token typed once, checked with `GET /api/me`, kept in this tab's
//! `sessionStorage` (gone when the tab closes; never in a URL, never in `localStorage`), and sent as
//! `Authorization: Bearer` on every call. Signing out forgets it.

use leptos::prelude::*;
use minyi_client::http::{Client, Failed};
use minyi_client::i18n::Lang;
use serde::Deserialize;
use serde::de::DeserializeOwned;

const KEY: &str = "minyi.console.token";

/// Who is signed in, as `GET /api/me` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Me {
    /// The token's id (not the secret).
    pub id: String,
    /// `city`, `district`, `operator`, `reviewer` or `client`.
    pub role: String,
    /// Their district.
    #[serde(default)]
    pub district: Option<String>,
    /// Their unit (an operator's).
    #[serde(default)]
    pub unit: Option<String>,
    /// A name for people.
    #[serde(default)]
    pub name: Option<String>,
}

impl Me {
    /// City and district admins administer a district's rules, schemas, plugins and tokens.
    pub fn administers(&self) -> bool {
        matches!(self.role.as_str(), "city" | "district")
    }

    /// Admins and reviewers read the rates; a unit's operator works its queue.
    pub fn sees_scores(&self) -> bool {
        matches!(self.role.as_str(), "city" | "district" | "reviewer")
    }

    /// `望京街道 · 承办人` for the header.
    pub fn label(&self, lang: Lang) -> String {
        let role = match self.role.as_str() {
            "city" => lang.pick("市级管理员", "City admin"),
            "district" => lang.pick("区级管理员", "District admin"),
            "operator" => lang.pick("承办单位", "Unit operator"),
            "reviewer" => lang.pick("考核审核员", "Reviewer"),
            _ => lang.pick("接入平台", "Client"),
        };
        let scope = self.unit.as_deref().or(self.district.as_deref()).unwrap_or_default();
        let name = self.name.as_deref().unwrap_or_default();
        [role, scope, name].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" · ")
    }
}

/// The signed-in session: the service, the token, who it is. `Copy`, shared through the context.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    client: StoredValue<Client>,
    token: StoredValue<Option<String>>,
    /// Who is signed in; `None`: the sign-in page shows.
    pub me: RwSignal<Option<Me>>,
    /// Why the last sign-in failed.
    pub failed: RwSignal<Option<Failed>>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

impl Session {
    /// A session on `client`, resumed from this tab's storage when a token is kept there.
    pub fn new(client: Client) -> Session {
        let session = Session {
            client: StoredValue::new(client),
            token: StoredValue::new(None),
            me: RwSignal::new(None),
            failed: RwSignal::new(None),
        };
        if let Some(token) = storage().and_then(|s| s.get_item(KEY).ok().flatten()) {
            session.sign_in(token);
        }
        session
    }

    /// Checks `token` with `GET /api/me`; keeps it when it names someone.
    pub fn sign_in(self, token: String) {
        let token = token.trim().to_owned();
        leptos::task::spawn_local(async move {
            let answer: Result<Me, Failed> =
                self.client.get_value().json("GET", "/api/me", None, Some(&token), &[200]).await;
            match answer {
                Ok(me) => {
                    if let Some(s) = storage() {
                        let _ = s.set_item(KEY, &token);
                    }
                    self.token.set_value(Some(token));
                    self.failed.set(None);
                    self.me.set(Some(me));
                }
                Err(f) => {
                    self.forget();
                    self.failed.set(Some(f));
                }
            }
        });
    }

    fn forget(self) {
        if let Some(s) = storage() {
            let _ = s.remove_item(KEY);
        }
        self.token.set_value(None);
        self.me.set(None);
    }

    /// Forgets the token; the sign-in page shows.
    pub fn sign_out(self) {
        self.forget();
        self.failed.set(None);
        crate::go(&crate::Page::Queue);
    }

    /// A call with the token: the answer as `T` when its status is one of `ok`. A 401 (the token was
    /// revoked meanwhile) signs out.
    pub async fn call<T: DeserializeOwned>(
        self,
        method: &str,
        path: &str,
        body: Option<&str>,
        ok: &[u16],
    ) -> Result<T, Failed> {
        let token = self.token.get_value().unwrap_or_default();
        let answer = self.client.get_value().json(method, path, body, Some(&token), ok).await;
        self.signed_out_on_401(answer)
    }

    /// [`Session::call`] with a text body (a rule set's or a schema's TOML) posted as `text/plain`.
    pub async fn post_text<T: DeserializeOwned>(self, path: &str, text: &str, ok: &[u16]) -> Result<T, Failed> {
        let token = self.token.get_value().unwrap_or_default();
        let client = self.client.get_value();
        let body = Some(("text/plain; charset=utf-8", wasm_bindgen::JsValue::from_str(text)));
        let answer = match client.send("POST", path, body, Some(&token)).await {
            Ok(answer) => client.answer(answer, ok),
            Err(f) => Err(f),
        };
        self.signed_out_on_401(answer)
    }

    fn signed_out_on_401<T>(self, answer: Result<T, Failed>) -> Result<T, Failed> {
        if let Err(Failed { status: 401, .. }) = &answer {
            self.forget();
        }
        answer
    }
}

/// The sign-in page.
#[component]
pub fn SignIn() -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let token = RwSignal::new(String::new());
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    view! {
        <section class="sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">{t("登录工作台", "Sign in to the console")}</h1>
            <form on:submit=move |ev| { ev.prevent_default(); session.sign_in(token.get_untracked()); }>
                <label for="token">{t("工作令牌", "Staff token")}</label>
                <input id="token" type="password" autocomplete="off" spellcheck="false" required
                    prop:value=move || token.get() on:input=move |ev| token.set(event_target_value(&ev))/>
                <button type="submit" id="sign-in">{t("登录", "Sign in")}</button>
            </form>
            <p class="hint">{t("令牌由区级或市级管理员发放（minyi token create）。", "Tokens are issued by a district or city admin (minyi token create).")}</p>
            <div role="alert" id="sign-in-error">
                {move || session.failed.get().map(|f| {
                    let text = match f.status {
                        401 | 403 => lang.get().pick("令牌无效或已吊销。", "The token is not valid or was revoked.").to_owned(),
                        _ => format!("{}{}", lang.get().pick("暂时无法登录：", "Cannot sign in right now: "), f.message),
                    };
                    view! { <p class="error">{text}</p> }
                })}
            </div>
        </section>
    }
}
