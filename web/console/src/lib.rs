//! The staff console (Leptos, client-side rendered), served at `/console/`: a staff member signs in
//! with a token (kept in the tab's `sessionStorage`, sent only as `Authorization`, never in a URL), and
//! the role decides the pages — the unit's queue (`queue`), a case with its explanation, timeline and
//! the actions the service says the role may take now (`case`), the 三率 dashboard (`dashboard`), and a
//! district's rule sets, schemas, plugins and staff tokens (`admin`).
//! Every figure and every offered action is the service's answer; nothing is recomputed here.
#![deny(missing_docs)]

mod admin;
mod case;
mod dashboard;
mod queue;
mod session;

use leptos::prelude::*;
use minyi_client::http::Client;
use minyi_client::i18n::Lang;
use session::{Me, Session};
use wasm_bindgen::prelude::*;

/// Which page shows, from the location's hash (`#/queue`, `#/case/BJ-…`, `#/dashboard`): a case
/// number is not a secret; the token never appears there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The unit's queue (an operator's), or the district's / city's open cases.
    Queue,
    /// One case.
    Case(String),
    /// The three rates.
    Dashboard,
    /// A district's rule sets, schemas, plugins and staff tokens.
    Admin,
}

impl Page {
    fn from_hash(hash: &str) -> Page {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        match path.split_once('/') {
            Some(("case", id)) if !id.is_empty() => Page::Case(id.to_owned()),
            _ if path == "dashboard" => Page::Dashboard,
            _ if path == "admin" => Page::Admin,
            _ => Page::Queue,
        }
    }

    /// The hash that shows this page.
    pub fn hash(&self) -> String {
        match self {
            Page::Queue => "#/queue".into(),
            Page::Case(id) => format!("#/case/{id}"),
            Page::Dashboard => "#/dashboard".into(),
            Page::Admin => "#/admin".into(),
        }
    }
}

fn current_page() -> Page {
    Page::from_hash(&web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default())
}

/// Shows `page` (the hash changes; the `hashchange` listener follows).
pub fn go(page: &Page) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&page.hash());
    }
}

/// Mounts the console into the page's `<div id="console">` (or the body): the API on `api`, in
/// `lang` first (the browser's language; the switch changes it).
#[wasm_bindgen]
pub fn start(api: String, lang: String) {
    let lang = Lang::parse(&lang);
    let client = Client::new(&api);
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let parent = document
        .get_element_by_id("console")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .or_else(|| document.body());
    let Some(parent) = parent else { return };
    parent.set_inner_html("");
    mount_to(parent, move || {
        let lang = RwSignal::new(lang);
        let session = Session::new(client.clone());
        let page = RwSignal::new(current_page());
        let _ = window_event_listener(leptos::ev::hashchange, move |_| page.set(current_page()));
        provide_context(lang);
        provide_context(session);
        Effect::new(move |_| {
            if let Some(document) = web_sys::window().and_then(|w| w.document())
                && let Some(root) = document.document_element()
            {
                let _ = root.set_attribute("lang", lang.get().tag());
            }
        });
        view! {
            <div class="console">
                <header class="top">
                    <span class="brand">{move || lang.get().pick("12345 民意速办 · 工作台", "12345 Citizen Hotline · Console")}</span>
                    <Nav page=page/>
                    <button type="button" class="lang-switch" lang=move || lang.get().other().tag()
                        on:click=move |_| lang.update(|l| *l = l.other())>
                        {move || lang.get().pick("English", "中文")}
                    </button>
                </header>
                <main id="main">
                    {move || match session.me.get() {
                        None => view! { <session::SignIn/> }.into_any(),
                        Some(me) => match page.get() {
                            Page::Queue => view! { <queue::QueuePage me=me/> }.into_any(),
                            Page::Case(id) => view! { <case::CasePage id=id/> }.into_any(),
                            Page::Dashboard => view! { <dashboard::DashboardPage me=me/> }.into_any(),
                            Page::Admin => view! { <admin::AdminPage me=me/> }.into_any(),
                        },
                    }}
                </main>
            </div>
        }
    })
    .forget();
}

/// The signed-in header: who, the pages the role has, sign out.
#[component]
fn Nav(page: RwSignal<Page>) -> impl IntoView {
    let lang = expect_context::<RwSignal<Lang>>();
    let session = expect_context::<Session>();
    let t = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en).to_owned();
    let current = move |p: Page| move || if page.get() == p { Some("page") } else { None };
    view! {
        {move || session.me.get().map(|me: Me| {
            let (dashboard, admin) = (me.sees_scores(), me.administers());
            view! {
                <nav aria-label=t("页面", "Pages")>
                    <a href="#/queue" id="nav-queue" aria-current=current(Page::Queue)>{t("案件", "Cases")}</a>
                    {dashboard.then(|| view! {
                        <a href="#/dashboard" id="nav-dashboard" aria-current=current(Page::Dashboard)>{t("三率看板", "Dashboard")}</a>
                    })}
                    {admin.then(|| view! {
                        <a href="#/admin" id="nav-admin" aria-current=current(Page::Admin)>{t("区级配置", "District set-up")}</a>
                    })}
                </nav>
                <span class="who" id="who">{me.label(lang.get())}</span>
                <button type="button" id="sign-out" on:click=move |_| session.sign_out()>{t("退出", "Sign out")}</button>
            }
        })}
    }
}

/// Seconds as the console shows a time limit: `2天3小时`, `-5小时` when past.
pub fn duration(lang: Lang, seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (lang, d, h) {
        (Lang::Zh, 0, 0) => format!("{sign}{m}分钟"),
        (Lang::Zh, 0, _) => format!("{sign}{h}小时{m}分"),
        (Lang::Zh, _, _) => format!("{sign}{d}天{h}小时"),
        (Lang::En, 0, 0) => format!("{sign}{m} min"),
        (Lang::En, 0, _) => format!("{sign}{h} h {m} min"),
        (Lang::En, _, _) => format!("{sign}{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_come_from_the_hash_and_go_back_to_it() {
        for page in [Page::Queue, Page::Case("BJ-20261129-000001".into()), Page::Dashboard, Page::Admin] {
            assert_eq!(Page::from_hash(&page.hash()), page);
        }
        assert_eq!(Page::from_hash(""), Page::Queue);
        assert_eq!(Page::from_hash("#/case/"), Page::Queue);
    }

    #[test]
    fn time_limits_read_in_both_languages() {
        assert_eq!(duration(Lang::Zh, 2 * 86_400 + 3 * 3600), "2天3小时");
        assert_eq!(duration(Lang::En, -(5 * 3600 + 60)), "-5 h 1 min");
        assert_eq!(duration(Lang::Zh, 59 * 60), "59分钟");
    }
}
