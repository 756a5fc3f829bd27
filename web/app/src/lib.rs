//! The citizen complaint widget (Leptos, client-side rendered). Every check it shows comes from the
//! `validator` component — the same bytes the server runs — loaded through `/minyi-components.js`;
//! a valid form is submitted to the service's `POST /api/cases`, which answers with the case number.
#![deny(missing_docs)]

mod api;
mod components;
mod widget;

pub use widget::ComplaintWidget;

use leptos::prelude::*;

/// The page: header, the widget, and the provenance of the component bytes.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class="page">
            <header>
                <h1>"12345 民意速办 · 我要反映"</h1>
                <p class="sub">"Minyi citizen complaint widget — checks run in the browser from the same component bytes the server uses."</p>
            </header>
            <ComplaintWidget/>
        </main>
    }
}

/// Entry point called by the wasm-bindgen start shim.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    mount_to_body(App);
}
