//! Beijing's administrative divisions (16 districts, 349 township-level units), compiled in from reference data.

/// A township-level unit (街道 / 乡镇 / 地区).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Street {
    /// Official 9-digit code, e.g. `110105026`.
    pub code: &'static str,
    /// Official name, e.g. `望京街道`.
    pub name: &'static str,
}

/// A district (区).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct District {
    /// Official 6-digit code, e.g. `110105`.
    pub code: &'static str,
    /// Official name, e.g. `朝阳区`.
    pub name: &'static str,
    /// Its township-level units.
    pub streets: &'static [Street],
}

include!(concat!(env!("OUT_DIR"), "/divisions.rs"));

/// The district with this code.
pub fn district(code: &str) -> Option<&'static District> {
    DISTRICTS.iter().find(|d| d.code == code)
}

/// The street with this code, and its district.
pub fn street(code: &str) -> Option<(&'static District, &'static Street)> {
    let district = district(code.get(..6)?)?;
    district.streets.iter().find(|s| s.code == code).map(|s| (district, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_reference_data() {
        assert_eq!(DISTRICTS.len(), 16);
        assert_eq!(DISTRICTS.iter().map(|d| d.streets.len()).sum::<usize>(), 349);
    }

    #[test]
    fn lookups() {
        assert_eq!(district("110105").map(|d| d.name), Some("朝阳区"));
        let (d, s) = street("110105026").expect("望京 is a street of 朝阳");
        assert_eq!((d.code, s.name), ("110105", "望京街道"));
        assert!(street("110105999").is_none());
        assert!(street("11").is_none());
    }
}
