//! The 18-digit resident identity number (居民身份证号): GB 11643 check digit and a sane birth date.

use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Why an identity number is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdProblem {
    /// Not 17 digits followed by a digit or `X`.
    Format,
    /// The check digit does not match (GB 11643, ISO 7064 MOD 11-2).
    Checksum,
    /// The birth date is not a real date, before 1900 or after the given year.
    BirthDate,
}

/// The GB 11643 check character for the first 17 digits.
pub(crate) fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK[(sum % 11) as usize]
}

/// True when `s` has the shape and check digit of an identity number (no date check).
pub(crate) fn has_valid_checksum(s: &[u8]) -> bool {
    s.len() == 18
        && s[..17].iter().all(u8::is_ascii_digit)
        && (s[17].is_ascii_digit() || s[17] == b'X' || s[17] == b'x')
        && check_char(&s[..17]) == s[17].to_ascii_uppercase()
}

/// Checks an identity number; `latest_year` bounds the birth year (pass the current year).
/// Returns the normalised number (upper-case `X`).
pub fn check_id_number(raw: &str, latest_year: i32) -> Result<String, IdProblem> {
    let s = raw.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(IdProblem::Format);
    }
    if check_char(&b[..17]) != b[17] {
        return Err(IdProblem::Checksum);
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| IdProblem::Format);
    let year = num(6..10)? as i32;
    let date = NaiveDate::from_ymd_opt(year, num(10..12)?, num(12..14)?);
    if date.is_none() || year < 1900 || year > latest_year {
        return Err(IdProblem::BirthDate);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        // The GB 11643 standard's own example.
        assert_eq!(check_id_number("11010519491231002X", 2026), Ok("11010519491231002X".into()));
        assert_eq!(check_id_number("11010519491231002x", 2026), Ok("11010519491231002X".into()));
        assert_eq!(check_id_number("110105194912310021", 2026), Err(IdProblem::Checksum));
        assert_eq!(check_id_number("11010519491231002", 2026), Err(IdProblem::Format));
        assert_eq!(check_id_number("1101051949123100２X", 2026), Err(IdProblem::Format));
    }

    #[test]
    fn birth_dates() {
        let with_check = |first17: &str| {
            let c = check_char(first17.as_bytes()) as char;
            format!("{first17}{c}")
        };
        assert_eq!(check_id_number(&with_check("11010519490230002"), 2026), Err(IdProblem::BirthDate));
        assert_eq!(check_id_number(&with_check("11010518991231002"), 2026), Err(IdProblem::BirthDate));
        assert_eq!(check_id_number(&with_check("11010520301231002"), 2026), Err(IdProblem::BirthDate));
        assert!(check_id_number(&with_check("11010520000229002"), 2026).is_ok());
    }
}
