//! Reading the public JSON shapes with errors that name the offending field path.

/// Parses a JSON document into `T`; the error names the field path, e.g.
/// `reporter.phone: invalid type: integer `42`, expected a string at line 1 column 40`.
pub fn from_str<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." { e.inner().to_string() } else { format!("{path}: {}", e.inner()) }
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::CaseForm;

    #[test]
    fn errors_name_the_field() {
        let e = super::from_str::<CaseForm>(r#"{"district": 42}"#).expect_err("wrong type");
        assert!(e.starts_with("district: invalid type: integer `42`"), "{e}");
        let e = super::from_str::<CaseForm>(r#"{"district":"110105","channel":"fax"}"#).expect_err("bad enum");
        assert!(e.starts_with("channel: unknown variant `fax`"), "{e}");
        let e = super::from_str::<CaseForm>("{").expect_err("syntax");
        assert!(e.contains("line 1"), "{e}");
    }
}
