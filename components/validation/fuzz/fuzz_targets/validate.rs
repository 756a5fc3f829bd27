//! Fuzz target: any bytes as a case-form document, a schema document, free text or an address —
//! the validation core must answer (a result or an input error), never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NOW: &str = "2026-11-29T10:05:00+08:00";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match selector % 5 {
        0 => {
            let _ = minyi_validation::validate_json(&text, NOW);
        }
        1 => {
            let _ = minyi_validation::check_schema(&text);
        }
        2 => {
            let _ = minyi_validation::pii::mask(&text);
            let _ = minyi_validation::screening::screen(&text, &text);
        }
        3 => {
            let _ = minyi_validation::address::resolve(&text, Some("110105"));
            let _ = minyi_validation::validate_field("reporter.phone", &text);
            let _ = minyi_validation::validate_field("reporter.id_number", &text);
        }
        _ => {
            // A valid shell around fuzzed free text, so the deep checks run on it.
            let form = serde_json_free_form(&text);
            let _ = minyi_validation::validate_json(&form, NOW);
        }
    }
});

/// A syntactically valid case form whose free-text fields carry the fuzz input.
fn serde_json_free_form(text: &str) -> String {
    let escaped: String = text.chars().flat_map(|c| match c {
        '"' => vec!['\\', '"'],
        '\\' => vec!['\\', '\\'],
        c if (c as u32) < 0x20 => vec![' '],
        c => vec![c],
    }).collect();
    format!(
        r#"{{"district":"110105","channel":"web","kind":"complaint","category":"urban.sanitation.garbage","title":"{escaped}","description":"{escaped}","address":"{escaped}","reporter":{{"phone":"{escaped}","id_number":"{escaped}","email":"{escaped}"}},"attributes":{{"building_no":"{escaped}"}},"consent":true,"received_at":"2026-11-29T10:00:00+08:00"}}"#
    )
}
