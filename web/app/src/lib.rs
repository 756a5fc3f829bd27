//! The citizen widget (Leptos, client-side rendered), mounted by `widget.js` inside the shadow root of
//! a `<minyi-complaint>` element on any page: the complaint form of the district's own schema, checked
//! as the citizen types by the `validator` component — the same bytes the server runs — and submitted to
//! the host's `POST /api/cases`; and the tracking page with the callback survey (`view="track"`).
#![deny(missing_docs)]

mod api;
mod components;
mod track;
mod widget;

pub use minyi_client::i18n::{self, Lang};
pub use widget::ComplaintWidget;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// What the embedding page asked for, from the element's attributes.
#[derive(Debug, Clone)]
pub struct Embed {
    /// The host's API.
    pub api: api::Api,
    /// The district whose form is shown first (`district="110105"`).
    pub district: String,
    /// A case to follow (`case="BJ-…"`, tracking view).
    pub case_id: String,
    /// Its tracking token (`token="…"`, tracking view).
    pub token: String,
}

fn option(options: &JsValue, name: &str) -> String {
    js_sys::Reflect::get(options, &JsValue::from_str(name)).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// Mounts the widget into `parent` (inside the element's shadow root). `options`: `{api, district, lang,
/// view: "form" | "track", case, token}`.
#[wasm_bindgen]
pub fn mount(parent: web_sys::HtmlElement, options: JsValue) {
    let district = option(&options, "district");
    let embed = Embed {
        api: api::Api::new(&option(&options, "api")),
        district: if district.is_empty() { "110105".to_owned() } else { district },
        case_id: option(&options, "case"),
        token: option(&options, "token"),
    };
    let lang = Lang::parse(&option(&options, "lang"));
    let track = option(&options, "view") == "track";
    mount_to(parent, move || {
        let lang = RwSignal::new(lang);
        provide_context(embed.clone());
        provide_context(lang);
        view! {
            <div class="minyi-root" lang=move || lang.get().tag()>
                <div class="bar">
                    <span class="brand">{move || lang.get().pick("12345 民意速办", "12345 Citizen Hotline")}</span>
                    <button type="button" class="lang-switch" lang=move || lang.get().other().tag()
                        on:click=move |_| lang.update(|l| *l = l.other())>
                        {move || lang.get().pick("English", "中文")}
                    </button>
                </div>
                {if track { track::TrackPage().into_any() } else { ComplaintWidget().into_any() }}
            </div>
        }
    })
    .forget();
}
