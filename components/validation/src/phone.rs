//! Chinese telephone numbers: mobile `1[3-9]xxxxxxxxx` and landline `0AA(A)-NNNNNNN(N)`, normalised.

use crate::messages;
use minyi_model::Issue;

/// A telephone number recognised and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phone {
    /// Mobile, as 11 digits.
    Mobile(String),
    /// Landline, as `area-local`, e.g. `010-65123456`.
    Landline(String),
}

impl Phone {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        match self {
            Phone::Mobile(s) | Phone::Landline(s) => s,
        }
    }
}

/// Maps full-width digits (０–９) to ASCII and drops separators people type: spaces, dashes, dots, parentheses.
fn digits_of(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.trim().chars().peekable();
    if matches!(chars.peek(), Some('+') | Some('＋')) {
        chars.next();
        out.push('+');
    }
    for c in chars {
        match c {
            '0'..='9' => out.push(c),
            '０'..='９' => out.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            ' ' | '\u{3000}' | '-' | '－' | '—' | '.' | '(' | ')' | '（' | '）' => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Normalises a mobile or landline number, accepting `+86`/`0086` prefixes, spaces, dashes and full-width digits.
pub fn normalize_phone(raw: &str) -> Option<Phone> {
    let digits = digits_of(raw)?;
    let national = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .or_else(|| if digits.len() == 13 { digits.strip_prefix("86") } else { None })
        .unwrap_or(&digits);
    if national.starts_with('+') {
        return None;
    }
    let b = national.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return Some(Phone::Mobile(national.to_owned()));
    }
    // Landline with area code: 010 and 02X have 2-digit codes after the 0, others 3.
    if b.len() >= 10 && b.len() <= 12 && b[0] == b'0' && b[1] != b'0' {
        let area_len = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
        let local = &national[area_len..];
        if (7..=8).contains(&local.len()) && !local.starts_with('0') {
            return Some(Phone::Landline(format!("{}-{}", &national[..area_len], local)));
        }
    }
    None
}

/// Checks a phone field, returning the normalised number or the issue to report.
pub(crate) fn check_phone(field: &str, raw: &str) -> Result<Phone, Issue> {
    normalize_phone(raw).ok_or_else(|| {
        messages::error(
            field,
            "phone.invalid",
            "电话号码格式不正确：请填写 11 位手机号（如 138 0013 8000）或带区号的固话（如 010-65123456）。",
            "The phone number is not valid: enter an 11-digit mobile number (e.g. 138 0013 8000) or a landline with its area code (e.g. 010-65123456).",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expect: Option<&str>) {
        assert_eq!(normalize_phone(raw).as_ref().map(Phone::as_str), expect, "input {raw:?}");
    }

    #[test]
    fn mobile_numbers() {
        check("13800138000", Some("13800138000"));
        check("138 0013 8000", Some("13800138000"));
        check("+86 138-0013-8000", Some("13800138000"));
        check("0086 13800138000", Some("13800138000"));
        check("8613800138000", Some("13800138000"));
        check("１３８００１３８０００", Some("13800138000"));
        check("12800138000", None);
        check("1380013800", None);
        check("138001380000", None);
        check("138OO138000", None);
        check("", None);
        check("+1 13800138000", None);
    }

    #[test]
    fn landlines() {
        check("010-65123456", Some("010-65123456"));
        check("(010) 6512 3456", Some("010-65123456"));
        check("0755-12345678", Some("0755-12345678"));
        check("021 1234567", Some("021-1234567"));
        check("010-0512345", None);
        check("65123456", None);
    }
}
