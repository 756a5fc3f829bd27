//! The service's API as the widget calls it, on the widget's host (the `api` attribute, else the origin
//! the widget's script came from): the district's form, intake, server-side validation (when the page
//! cannot run its own copy of the component), the district's own schema (which the page's copy checks
//! the form against), the case's files, a case's progress and the callback survey.

use minyi_client::http::encode;
pub use minyi_client::http::{Client, Failed, describe};
use minyi_model::{FormSpec, Progress, ValidationResult};
use serde_json::Value;
use wasm_bindgen::JsValue;

/// What `POST /api/cases` answered: the service's intake report, the public shape in `minyi-model`.
pub type Intake = minyi_model::IntakeReport;

/// The API of one host: the shared client, with the calls the widget makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api(Client);

impl std::ops::Deref for Api {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.0
    }
}

impl Api {
    /// The API at `base` (a trailing `/` is dropped).
    pub fn new(base: &str) -> Api {
        Api(Client::new(base))
    }

    /// `GET /api/form?district=`: the district's case form.
    pub async fn form(&self, district: &str) -> Result<FormSpec, Failed> {
        self.json("GET", &format!("/api/form?district={}", encode(district)), None, None, &[200]).await
    }

    /// `GET /api/districts/{district}/schema`: the schema the district deployed and activated (TOML),
    /// or `None` when the built-in schemas apply to it (404), or the host keeps no registry (503).
    pub async fn district_schema(&self, district: &str) -> Result<Option<String>, Failed> {
        let path = format!("/api/districts/{}/schema", encode(district));
        match self.send("GET", &path, None, None).await? {
            (200, text) => Ok(Some(text)),
            (404 | 503, _) => Ok(None),
            answer => self.answer::<Value>(answer, &[]).map(|_| None),
        }
    }

    /// `POST /api/cases`. The service stores the body before anything else runs on it, so a stored
    /// case comes back even when it is rejected (422) or not a form at all (400).
    pub async fn submit(&self, form_json: &str) -> Result<Intake, Failed> {
        self.json("POST", "/api/cases", Some(form_json), None, &[201, 400, 422]).await
    }

    /// `POST /api/validate`: the server's validation (the same component, with the district's plugin).
    pub async fn validate(&self, form_json: &str) -> Result<ValidationResult, Failed> {
        self.json("POST", "/api/validate", Some(form_json), None, &[200]).await
    }

    /// `PUT /api/cases/{id}/attachments/{index}` with the tracking token: one of the files the form
    /// declared, its bytes as chosen.
    pub async fn upload(
        &self,
        case_id: &str,
        index: usize,
        token: &str,
        file: &web_sys::File,
    ) -> Result<Value, Failed> {
        let path = format!("/api/cases/{}/attachments/{index}", encode(case_id));
        let content_type = file.type_();
        let body = Some((content_type.as_str(), JsValue::from(file.clone())));
        self.answer(self.send("PUT", &path, body, Some(token)).await?, &[201])
    }

    /// `GET /api/cases/{id}` with the tracking token.
    pub async fn progress(&self, case_id: &str, token: &str) -> Result<Progress, Failed> {
        self.json("GET", &format!("/api/cases/{}", encode(case_id)), None, Some(token), &[200]).await
    }

    /// `POST /api/cases/{id}/callback` with the tracking token.
    pub async fn callback(&self, case_id: &str, token: &str, answers: &Value) -> Result<Value, Failed> {
        let body = answers.to_string();
        self.json("POST", &format!("/api/cases/{}/callback", encode(case_id)), Some(&body), Some(token), &[200, 201])
            .await
    }
}
