//! `minyi validate`: a case-form file through the validator component (a district's built-in schema,
//! or a schema file), the validation result printed as JSON.

use anyhow::Context as _;
use minyi_runtime::{CallError, Runtime};
use std::path::Path;
use std::process::ExitCode;

pub(super) fn validate(
    runtime: &Runtime,
    path: &Path,
    district: Option<&str>,
    schema: Option<&Path>,
    now: Option<String>,
) -> anyhow::Result<ExitCode> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let unusable = |code: &str, message: &str| {
        eprintln!("error: {}: {code}: {message}", path.display());
        Ok(ExitCode::from(2))
    };
    let text = match district {
        None => text,
        Some(code) => match with_district(&text, code) {
            Ok(text) => text,
            Err(message) => return unusable("district.conflict", &message),
        },
    };
    let now = now.unwrap_or_else(crate::clock::beijing_now);
    let result = match schema {
        None => runtime.validate_json(&text, &now),
        Some(file) => {
            let source = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let errors = runtime.check_schema(&source)?;
            if !errors.is_empty() {
                for e in &errors {
                    eprintln!("error: {}:{}:{}: {}: {}", file.display(), e.line, e.column, e.field, e.message);
                }
                return Ok(ExitCode::from(2));
            }
            runtime.validate_json_with_schema(&source, &text, &now)
        }
    };
    match result {
        Ok(json) => {
            let value: serde_json::Value =
                serde_json::from_str(&json).context("the component returned malformed JSON")?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(if value["valid"] == true { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Err(CallError::Input { code, message }) => unusable(&code, &message),
        Err(e) => Err(e.into()),
    }
}

/// Sets the form's `district` to `code` when it is missing or empty; refuses a different one.
/// (Plain JSON plumbing: the component does all checking.)
fn with_district(form_json: &str, code: &str) -> Result<String, String> {
    let mut value: serde_json::Value = match serde_json::from_str(form_json) {
        Ok(v) => v,
        // Leave malformed JSON to the component, which reports it with its field path.
        Err(_) => return Ok(form_json.to_owned()),
    };
    let Some(obj) = value.as_object_mut() else { return Ok(form_json.to_owned()) };
    match obj.get("district").and_then(|d| d.as_str()).map(str::trim) {
        None | Some("") => {
            obj.insert("district".into(), code.into());
        }
        Some(given) if given == code => {}
        Some(given) => return Err(format!("the form is for district {given}, not --district {code}")),
    }
    serde_json::to_string(&value).map_err(|e| e.to_string())
}
