//! Fuzz target: any bytes as the body of a GeoReport `POST requests.json` — form-encoded or a JSON
//! object — decoded the way the service decodes it, made into a case form and validated: the decoders
//! and the validation core must answer (parameters or a named refusal, a result or an input error),
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minyi_model::georeport;

const NOW: &str = "2026-11-29T10:05:00+08:00";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let params: Vec<(String, String)> = if selector % 2 == 0 {
        form_urlencoded::parse(body).into_owned().collect()
    } else {
        match georeport::json_params(body) {
            Ok(params) => params,
            Err((field, message)) => {
                assert!(!field.is_empty() && !message.is_empty(), "a refusal names the field and the problem");
                return;
            }
        }
    };
    let form = georeport::case_form(&params, "110105", NOW).to_string();
    if let Err(e) = minyi_validation::validate_json(&form, NOW) {
        assert!(!e.to_string().is_empty(), "an input error says what is wrong");
    }
});
