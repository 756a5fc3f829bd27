//! Resolves a written address to a Beijing district and street (街道 / 乡镇 / 地区): accepts
//! `朝阳区望京街道`, `望京`, names with or without 区 / 街道 / 镇 / 乡 / 地区, full- or half-width.

use minyi_model::divisions::{self, District, Street};

/// What an address names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Districts named in the address, in order of appearance.
    pub districts: Vec<&'static District>,
    /// Streets the address may mean (after narrowing by district); one when unambiguous.
    pub streets: Vec<(&'static District, &'static Street)>,
}

/// Folds full-width ASCII to half-width and drops whitespace.
pub fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Trims and collapses runs of whitespace to one space (the normalised address keeps its words).
pub fn normalize_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn stem<'a>(name: &'a str, suffixes: &[&str]) -> &'a str {
    for s in suffixes {
        if let Some(stem) = name.strip_suffix(s)
            && stem.chars().count() >= 2
        {
            return stem;
        }
    }
    name
}

/// All matches of `needle` as (start, end) byte ranges.
fn matches(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    hay.match_indices(needle).map(|(i, m)| (i, i + m.len())).collect()
}

/// Resolves an address, narrowing streets by the districts it names, else by `district` (the form's).
pub fn resolve(address: &str, district: Option<&str>) -> Resolution {
    let text = normalize(address);
    let mut found_districts: Vec<(usize, &'static District)> = Vec::new();
    let mut district_spans: Vec<(usize, usize)> = Vec::new();
    for d in divisions::DISTRICTS {
        // The full name first, so that 海淀区 is one district mention and not also 海淀街道's stem.
        let mut spans = matches(&text, d.name);
        let bare = stem(d.name, &["区"]);
        let bare_spans: Vec<_> =
            matches(&text, bare).into_iter().filter(|(a, _)| !spans.iter().any(|(c, _)| c == a)).collect();
        spans.extend(bare_spans);
        if let Some(&(at, _)) = spans.iter().min() {
            found_districts.push((at, d));
        }
        district_spans.extend(spans);
    }
    found_districts.sort_by_key(|(at, _)| *at);

    let mut hits: Vec<(usize, usize, &'static District, &'static Street)> = Vec::new();
    for d in divisions::DISTRICTS {
        for s in d.streets {
            for (a, b) in matches(&text, stem(s.name, &["街道", "地区", "镇", "乡"])) {
                hits.push((a, b, d, s));
            }
        }
    }
    // A match inside a longer match is not a match of its own (安定 inside 安定门), and a street stem
    // inside a district's name is the district (海淀 of 海淀区), unless the street's full name is written.
    let longest: Vec<_> = hits
        .iter()
        .filter(|(a, b, _, _)| !hits.iter().any(|(c, e, _, _)| c <= a && b <= e && (e - c) > (b - a)))
        .filter(|(a, b, _, s)| {
            let full = text.get(*a..).is_some_and(|t| t.starts_with(s.name));
            full || !district_spans.iter().any(|(c, e)| c <= a && b <= e)
        })
        .collect();
    let mut streets: Vec<(&'static District, &'static Street)> = longest.iter().map(|(_, _, d, s)| (*d, *s)).collect();
    streets.dedup_by_key(|(_, s)| s.code);
    let narrow_to: Option<&str> = found_districts.first().map(|(_, d)| d.code).or(district);
    if let Some(code) = narrow_to {
        let within: Vec<_> = streets.iter().copied().filter(|(d, _)| d.code == code).collect();
        if !within.is_empty() || !found_districts.is_empty() {
            streets = within;
        }
    }
    streets.sort_by_key(|(_, s)| s.code);
    streets.dedup_by_key(|(_, s)| s.code);
    Resolution { districts: found_districts.into_iter().map(|(_, d)| d).collect(), streets }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(address: &str, district: Option<&str>) -> (Vec<&'static str>, Vec<&'static str>) {
        let r = resolve(address, district);
        (r.districts.iter().map(|d| d.code).collect(), r.streets.iter().map(|(_, s)| s.code).collect())
    }

    #[test]
    fn forms_people_write() {
        assert_eq!(codes("朝阳区望京街道望京西园三区", None), (vec!["110105"], vec!["110105026"]));
        assert_eq!(codes("望京西园三区3号楼", None), (vec![], vec!["110105026"]));
        assert_eq!(codes("朝阳 望京 街道", None), (vec!["110105"], vec!["110105026"]));
        assert_eq!(codes("北京市朝阳区望京ＳＯＨＯ", None), (vec!["110105"], vec!["110105026"]));
        assert_eq!(codes("东城区安定门外大街", None), (vec!["110101"], vec!["110101004"]));
    }

    #[test]
    fn ambiguity_and_narrowing() {
        assert_eq!(codes("八里庄北里", None).1, vec!["110105015", "110108005"], "朝阳 and 海淀 both have 八里庄");
        assert_eq!(codes("八里庄北里", Some("110108")).1, vec!["110108005"], "the form's district decides");
        assert_eq!(codes("海淀区八里庄", Some("110105")).1, vec!["110108005"], "the address's own district wins");
        assert_eq!(codes("某某路100号", None), (vec![], vec![]));
    }
}
