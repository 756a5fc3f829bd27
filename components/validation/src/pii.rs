//! Personal data in free text: mobile and landline numbers, resident-ID numbers and bank-card numbers
//! (Luhn), written with spaces or dashes, in half- or full-width digits, or already partly masked
//! (`138****5678`, `158××××9361`). Each is reported, and masked in the public copy.

use crate::{id_number, messages};
use minyi_model::Issue;

/// What kind of personal data a span holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiKind {
    /// A mobile number (or a partly masked one).
    Mobile,
    /// A landline number with area code.
    Landline,
    /// A resident-ID number with a valid check digit.
    IdNumber,
    /// A bank-card number passing the Luhn check.
    BankCard,
}

/// One finding: its kind and byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Kind of data.
    pub kind: PiiKind,
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// The number was already partly masked in the text.
    pub already_masked: bool,
}

fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

fn is_mask(c: char) -> bool {
    matches!(c, '*' | '＊' | '×' | 'x' | 'X')
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '－' | '\u{3000}')
}

/// A run of digits (and mask characters) between separators.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Longest candidate span, in characters (a 19-digit card is the longest number we look for).
const MAX_SPAN: usize = 24;

/// The digits of `chars` as ASCII, on the stack; `None` if any character is not a digit.
fn ascii_digits(chars: &[char]) -> Option<([u8; MAX_SPAN], usize)> {
    let mut out = [0u8; MAX_SPAN];
    for (k, &c) in chars.iter().enumerate() {
        out[k] = b'0' + digit(c)?;
    }
    Some((out, chars.len()))
}

/// Classifies the characters of a candidate span (separators removed; at most `MAX_SPAN`).
fn classify(chars: &[char]) -> Option<(PiiKind, bool)> {
    // An 18-character ID whose check character is X (not a mask).
    if chars.len() == 18 && matches!(chars[17], 'X' | 'x') {
        let (mut ascii, _) = ascii_digits(&chars[..17])?;
        ascii[17] = b'X';
        return id_number::has_valid_checksum(&ascii[..18]).then_some((PiiKind::IdNumber, false));
    }
    if chars.iter().any(|&c| is_mask(c)) {
        // Partly masked mobile: 1[3-9]d + masks + at least two trailing digits, 11 characters in all.
        let mask_run = chars.iter().skip(3).take_while(|&&c| is_mask(c)).count();
        let tail = chars.get((3 + mask_run).min(chars.len())..).unwrap_or_default();
        let ok = chars.len() == 11
            && digit(chars[0]) == Some(1)
            && digit(chars[1]).is_some_and(|x| (3..=9).contains(&x))
            && digit(chars[2]).is_some()
            && mask_run >= 3
            && tail.len() >= 2
            && tail.iter().all(|&c| digit(c).is_some());
        return ok.then_some((PiiKind::Mobile, true));
    }
    let (ascii, n) = ascii_digits(chars)?;
    let d = &ascii[..n];
    let mobile = |d: &[u8]| d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]);
    if mobile(d) || (n == 13 && d.starts_with(b"86") && mobile(&d[2..])) {
        return Some((PiiKind::Mobile, false));
    }
    if (10..=12).contains(&n) && d[0] == b'0' && d[1] != b'0' {
        let area = if d[1] == b'1' || d[1] == b'2' { 3 } else { 4 };
        let local = &d[area..];
        if (7..=8).contains(&local.len()) && local[0] != b'0' {
            return Some((PiiKind::Landline, false));
        }
    }
    if id_number::has_valid_checksum(d) {
        return Some((PiiKind::IdNumber, false));
    }
    let values: Vec<u8> = d.iter().map(|x| x - b'0').collect();
    if (16..=19).contains(&n) && matches!(d[0], b'3'..=b'6' | b'9') && luhn(&values) {
        return Some((PiiKind::BankCard, false));
    }
    None
}

/// Finds personal data in `text`. Groups of digits joined by single spaces or dashes are tried as one
/// number, longest first, so `138 0013 8000` is found but a date next to a number does not hide it.
/// Only the stretches around digits are looked at closely; prose is skipped a character at a time.
pub fn find(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut prev: Option<char> = None;
    let mut it = text.char_indices().peekable();
    while let Some((at, c)) = it.next() {
        if digit(c).is_none() {
            prev = Some(c);
            continue;
        }
        // A stretch of digits, masks and separators starting at this digit.
        let mut region: Vec<(usize, char)> = vec![(at, c)];
        while let Some(&(k, d)) = it.peek() {
            if digit(d).is_some() || is_mask(d) || is_separator(d) {
                region.push((k, d));
                it.next();
            } else {
                break;
            }
        }
        let next = it.peek().map(|&(_, d)| d);
        find_in_region(text, &region, prev, next, &mut findings);
        prev = region.last().map(|&(_, d)| d);
    }
    findings
}

/// The number-finding of [`find`] within one stretch of digits, masks and separators.
fn find_in_region(
    text: &str,
    region: &[(usize, char)],
    before: Option<char>,
    after: Option<char>,
    out: &mut Vec<Finding>,
) {
    let chars: Vec<char> = region.iter().map(|&(_, c)| c).collect();
    let byte_end =
        |k: usize| region.get(k).map_or_else(|| region.last().map_or(0, |&(b, c)| b + c.len_utf8()), |&(b, _)| b);
    let mut groups: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // Mask characters continue a number (`138****5678`, `139-****-0929`) but never start one.
        let after_digit = |k: usize| {
            k > 0
                && (digit(chars[k - 1]).is_some()
                    || (k > 1 && is_separator(chars[k - 1]) && digit(chars[k - 2]).is_some()))
        };
        if digit(chars[i]).is_some() || (is_mask(chars[i]) && after_digit(i)) {
            let start = i;
            while i < chars.len() && (digit(chars[i]).is_some() || is_mask(chars[i])) {
                i += 1;
            }
            groups.push(Group { start, end: i });
        } else {
            i += 1;
        }
    }
    let mut g = 0;
    while g < groups.len() {
        // Consecutive groups separated by exactly one separator, each joined group ≥ 3 characters.
        let mut last = g;
        while last + 1 < groups.len()
            && groups[last + 1].start == groups[last].end + 1
            && is_separator(chars[groups[last].end])
            && groups[last + 1].end - groups[last + 1].start >= 3
            && last - g < 5
        {
            last += 1;
        }
        let mut matched = None;
        for end in (g..=last).rev() {
            let mut span = ['\0'; MAX_SPAN];
            let mut len = 0;
            for &c in (g..=end).flat_map(|k| &chars[groups[k].start..groups[k].end]) {
                if len == MAX_SPAN {
                    len += 1;
                    break;
                }
                span[len] = c;
                len += 1;
            }
            if !(7..=MAX_SPAN).contains(&len) {
                continue;
            }
            if let Some((kind, already_masked)) = classify(&span[..len]) {
                matched = Some((end, kind, already_masked));
                break;
            }
        }
        match matched {
            Some((end, kind, already_masked)) => {
                // A number glued to more digits or letters on either side is part of something else.
                let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
                let left = if groups[g].start == 0 { before } else { chars.get(groups[g].start - 1).copied() };
                let right = chars.get(groups[end].end).copied().or(after);
                if !glued(left) && !glued(right) {
                    let (start, end_byte) = (byte_end(groups[g].start), byte_end(groups[end].end));
                    debug_assert!(text.is_char_boundary(start) && text.is_char_boundary(end_byte));
                    out.push(Finding { kind, start, end: end_byte, already_masked });
                }
                g = end + 1;
            }
            None => g += 1,
        }
    }
}

/// How many leading and trailing digits stay visible; `second` is the number's second digit.
fn visible(kind: PiiKind, digits: usize, second: Option<u8>) -> (usize, usize) {
    match kind {
        PiiKind::Mobile if digits == 13 => (5, 4),
        PiiKind::Mobile => (3, 4),
        // The area code stays: 010 and 02X have three digits, the others four.
        PiiKind::Landline if matches!(second, Some(1 | 2)) => (3, 4),
        PiiKind::Landline => (4, 4),
        PiiKind::IdNumber => (6, 4),
        PiiKind::BankCard => (4, 4),
    }
}

/// Masks personal data in `text`; returns the masked copy and what was found.
pub fn mask(text: &str) -> (String, Vec<Finding>) {
    let findings = find(text);
    if findings.iter().all(|f| f.already_masked) {
        return (text.to_owned(), findings);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for f in findings.iter().filter(|f| !f.already_masked) {
        out.push_str(&text[copied..f.start]);
        let span = &text[f.start..f.end];
        let digits: Vec<u8> = span.chars().filter_map(digit).collect();
        let total = span.chars().filter(|&c| digit(c).is_some() || matches!(c, 'X' | 'x')).count();
        let (head, tail) = visible(f.kind, total, digits.get(1).copied());
        let mut seen = 0;
        for c in span.chars() {
            if digit(c).is_some() || matches!(c, 'X' | 'x') {
                out.push(if seen >= head && seen + tail < total { '*' } else { c });
                seen += 1;
            } else {
                out.push(c);
            }
        }
        copied = f.end;
    }
    out.push_str(&text[copied..]);
    (out, findings)
}

/// The warning reported for personal data found in a free-text field.
pub(crate) fn issue(field: &str, kind: PiiKind) -> Issue {
    match kind {
        PiiKind::Mobile | PiiKind::Landline => messages::warning(
            field,
            "pii.phone",
            "正文中含有电话号码，公开副本中已遮挡；联系电话请填写在“联系电话”一栏。",
            "The text contains a phone number; it is masked in the public copy. Put contact numbers in the phone field.",
        ),
        PiiKind::IdNumber => messages::warning(
            field,
            "pii.id_number",
            "正文中含有身份证号码，公开副本中已遮挡。",
            "The text contains a resident ID number; it is masked in the public copy.",
        ),
        PiiKind::BankCard => messages::warning(
            field,
            "pii.bank_card",
            "正文中含有银行卡号，公开副本中已遮挡。请勿在诉求中提供银行卡号。",
            "The text contains a bank card number; it is masked in the public copy. Please do not give card numbers.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, masked: &str, kinds: &[PiiKind]) {
        let (m, found) = mask(text);
        assert_eq!(m, masked, "masked copy of {text:?}");
        assert_eq!(found.iter().map(|f| f.kind).collect::<Vec<_>>(), kinds, "kinds in {text:?}");
    }

    #[test]
    fn table() {
        use PiiKind::*;
        check(
            "电话13812345678，身份证11010519491231002X。",
            "电话138****5678，身份证110105********002X。",
            &[Mobile, IdNumber],
        );
        check("请回电 138 1234 5678 谢谢", "请回电 138 **** 5678 谢谢", &[Mobile]);
        check("+86 138-1234-5678", "+86 138-****-5678", &[Mobile]);
        check("手机１３８１２３４５６７８", "手机１３８****５６７８", &[Mobile]);
        check("座机010-65123456", "座机010-****3456", &[Landline]);
        check("0736-７７１９０１２", "0736-***９０１２", &[Landline]);
        check("卡号6222 0200 1234 5678 903", "卡号6222 **** **** ***8 903", &[BankCard]);
        check("卡号4111111111111111", "卡号4111********1111", &[BankCard]);
        check("2026-11-29 13812345678", "2026-11-29 138****5678", &[Mobile]);
        check("电话：158××××9361在投", "电话：158××××9361在投", &[Mobile]);
        check("（139-****-0929）", "（139-****-0929）", &[Mobile]);
    }

    #[test]
    fn leaves_other_numbers() {
        for text in [
            "3号楼201室，2026年11月，编号123456789012345678",
            "18-7-602室",
            "0000-00000000",
            "0731-0000-00000000",
            "4111111111111112",
            "订单号A13812345678",
            "978-7-80552-263-0",
            "楚ay*****************",
            "*****************",
        ] {
            let (m, k) = mask(text);
            assert_eq!(m, text);
            assert!(k.is_empty(), "{text:?}: {k:?}");
        }
    }
}
