//! Resolves a written address to a Beijing district and street (街道 / 乡镇 / 地区): accepts
//! `朝阳区望京街道`, `望京`, names with or without 区 / 街道 / 镇 / 乡 / 地区, full- or half-width.

use crate::matcher::Matcher;
use minyi_model::divisions::{self, District, Street};
use std::sync::OnceLock;

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

/// What a name found in an address refers to.
#[derive(Debug, Clone, Copy)]
enum Target {
    District(&'static District),
    /// A street; `full` when the pattern is its full name (望京街道), not its stem (望京).
    Street {
        district: &'static District,
        street: &'static Street,
        full: bool,
    },
}

/// Every district and street name and stem in one matcher, built once.
struct Index {
    matcher: Matcher,
    targets: Vec<Vec<Target>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut patterns: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut add = |pattern: &str, target: Target| match patterns.iter().position(|p| p == pattern) {
            Some(i) => targets[i].push(target),
            None => {
                patterns.push(pattern.to_owned());
                targets.push(vec![target]);
            }
        };
        for d in divisions::DISTRICTS {
            add(d.name, Target::District(d));
            add(stem(d.name, &["区"]), Target::District(d));
            for s in d.streets {
                add(s.name, Target::Street { district: d, street: s, full: true });
                let short = stem(s.name, &["街道", "地区", "镇", "乡"]);
                if short != s.name {
                    add(short, Target::Street { district: d, street: s, full: false });
                }
            }
        }
        Index { matcher: Matcher::new(patterns), targets }
    })
}

/// Resolves an address, narrowing streets by the districts it names, else by `district` (the form's).
/// Names are matched leftmost-longest in one pass: 安定门 is not also 安定, and 海淀区 is the district,
/// not the stem of 海淀街道 (unless 海淀街道 is written out).
pub fn resolve(address: &str, district: Option<&str>) -> Resolution {
    let text = normalize(address);
    let mut districts: Vec<&'static District> = Vec::new();
    let mut streets: Vec<(&'static District, &'static Street)> = Vec::new();
    {
        let index = index();
        for m in index.matcher.find_longest(&text) {
            let targets = &index.targets[m.pattern];
            let names_district = targets.iter().find_map(|t| match t {
                Target::District(d) => Some(*d),
                Target::Street { .. } => None,
            });
            for t in targets {
                match (*t, names_district) {
                    (Target::District(d), _) if !districts.iter().any(|x| x.code == d.code) => districts.push(d),
                    (Target::Street { district, street, full }, named) if full || named.is_none() => {
                        streets.push((district, street))
                    }
                    _ => {}
                }
            }
        }
    }
    let narrow_to: Option<&str> = districts.first().map(|d| d.code).or(district);
    if let Some(code) = narrow_to {
        let within: Vec<_> = streets.iter().copied().filter(|(d, _)| d.code == code).collect();
        if !within.is_empty() || !districts.is_empty() {
            streets = within;
        }
    }
    streets.sort_by_key(|(_, s)| s.code);
    streets.dedup_by_key(|(_, s)| s.code);
    Resolution { districts, streets }
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
