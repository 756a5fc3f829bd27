//! Category suggestion at intake (智能分拨): a form that came without a category gets the one the
//! classifier component suggests from its title and description, marked as suggested with its
//! confidence, and the decision kept so that replay makes it again. Intake and replay both read a body
//! through here.

use minyi_model::CategorySuggestion;
use serde_json::Value;

/// The text the classifier reads of a body that names no category: its title and description joined by
/// a line break (as `cargo xtask train` joins a CSV's text columns). `None` when the body is not a JSON
/// object, names a category already, or has no text.
pub fn uncategorised(body: &[u8]) -> Option<String> {
    let Ok(Value::Object(form)) = serde_json::from_slice::<Value>(body) else { return None };
    let named = form.get("category").and_then(Value::as_str).is_some_and(|c| !c.trim().is_empty());
    if named || form.get("category").is_some_and(|c| !c.is_null() && !c.is_string()) {
        return None;
    }
    let text = |k: &str| form.get(k).and_then(Value::as_str).unwrap_or("");
    CategorySuggestion::text_of(text("title"), text("description"))
}

/// The body with `category` set: what the validator reads once a category was suggested. `None` when
/// the body is not a JSON object.
pub fn with_category(body: &[u8], category: &str) -> Option<Vec<u8>> {
    let Ok(Value::Object(mut form)) = serde_json::from_slice::<Value>(body) else { return None };
    form.insert("category".to_owned(), Value::String(category.to_owned()));
    serde_json::to_vec(&form).ok()
}

/// Refuses a model that would fill in what the validator refuses: every category it suggests must be a
/// leaf of the category tree (`urban.sanitation.garbage`). A model trained on other labels (first-level
/// names, another city's tree) is for `minyi eval-classify`, not for intake.
pub fn check_categories(categories: &[String]) -> Result<(), String> {
    let foreign: Vec<&str> =
        categories.iter().map(String::as_str).filter(|c| minyi_model::categories::leaf(c).is_none()).collect();
    match foreign.as_slice() {
        [] => Ok(()),
        some => Err(format!(
            "model: {} of its {} categories are not leaves of the category tree (e.g. {:?}); intake would fill in \
             categories the validator refuses — train it with leaf codes such as \"urban.sanitation.garbage\"",
            some.len(),
            categories.len(),
            some.iter().take(3).collect::<Vec<_>>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_model_of_leaf_categories_may_fill_them_in() {
        let labels = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(check_categories(&labels(&["urban.sanitation.garbage", "labor.wages.arrears"])), Ok(()));
        let e = check_categories(&labels(&["城乡建设", "urban.sanitation", "labor.wages.arrears"]));
        let e = e.expect_err("a first-level name and an inner node are not leaves");
        assert!(e.starts_with("model: 2 of its 3 categories") && e.contains("城乡建设"), "{e}");
    }

    #[test]
    fn only_a_form_without_a_category_is_read() {
        let text = |b: &str| uncategorised(b.as_bytes());
        assert_eq!(text(r#"{"title":"暖气不热","description":"室温十四度"}"#).as_deref(), Some("暖气不热\n室温十四度"));
        assert_eq!(text(r#"{"category":" ","description":"室温十四度"}"#).as_deref(), Some("室温十四度"));
        assert_eq!(text(r#"{"category":null,"title":"暖气不热"}"#).as_deref(), Some("暖气不热"));
        assert_eq!(text(r#"{"category":"utilities.heating.low_temperature","title":"暖气不热"}"#), None);
        assert_eq!(text(r#"{"category":7,"title":"暖气不热"}"#), None, "a wrong type is the validator's to report");
        assert_eq!(text(r#"{"title":"  ","description":""}"#), None);
        assert_eq!(text(r#"["暖气不热"]"#), None);
        assert_eq!(text("\u{fffd} not JSON"), None);
        let filled = with_category(br#"{"title":"t"}"#, "urban.sanitation.garbage").expect("an object");
        assert_eq!(serde_json::from_slice::<Value>(&filled).expect("JSON")["category"], "urban.sanitation.garbage");
    }
}
