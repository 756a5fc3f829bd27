//! Personal data in free text: finds mobile numbers and resident-ID numbers and masks them in the public copy.

use crate::{id_number, messages};
use minyi_model::Issue;

/// What kind of personal data a span holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PiiKind {
    /// An 11-digit mobile number.
    Mobile,
    /// An 18-character resident-ID number with a valid check digit.
    IdNumber,
}

/// Masks personal data in `text`; returns the masked copy and the kinds found, in order.
pub(crate) fn mask(text: &str) -> (String, Vec<PiiKind>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        // An ID number may end in X.
        if i - start == 17 && i < chars.len() && matches!(chars[i], 'X' | 'x') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let b = run.as_bytes();
        let (kind, keep_head, keep_tail) = if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            (Some(PiiKind::Mobile), 3, 4)
        } else if id_number::has_valid_checksum(b) {
            (Some(PiiKind::IdNumber), 6, 4)
        } else {
            (None, b.len(), 0)
        };
        match kind {
            Some(k) => {
                found.push(k);
                out.push_str(&run[..keep_head]);
                out.extend(std::iter::repeat_n('*', b.len() - keep_head - keep_tail));
                out.push_str(&run[b.len() - keep_tail..]);
            }
            None => out.push_str(&run),
        }
    }
    (out, found)
}

/// The warning reported for personal data found in a free-text field.
pub(crate) fn issue(field: &str, kind: PiiKind) -> Issue {
    match kind {
        PiiKind::Mobile => messages::warning(
            field,
            "pii.phone",
            "正文中含有手机号码，公开副本中已遮挡；联系电话请填写在“联系电话”一栏。",
            "The text contains a mobile number; it is masked in the public copy. Put contact numbers in the phone field.",
        ),
        PiiKind::IdNumber => messages::warning(
            field,
            "pii.id_number",
            "正文中含有身份证号码，公开副本中已遮挡。",
            "The text contains a resident ID number; it is masked in the public copy.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mobiles_and_ids() {
        let (m, k) = mask("电话13812345678，身份证11010519491231002X。");
        assert_eq!(m, "电话138****5678，身份证110105********002X。");
        assert_eq!(k, vec![PiiKind::Mobile, PiiKind::IdNumber]);
    }

    #[test]
    fn leaves_other_numbers() {
        let (m, k) = mask("3号楼201室，2026年11月，编号123456789012345678");
        assert_eq!(m, "3号楼201室，2026年11月，编号123456789012345678");
        assert!(k.is_empty());
    }
}
