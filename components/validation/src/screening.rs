//! Out-of-scope screening: emergencies for 110 / 119 / 120 / 122 and matters before a court get a
//! redirect instead of a case. The keyword lists are data (`data/screening.toml`), not code.

use crate::matcher::Matcher;
use minyi_model::{Message, Redirect};
use serde::Deserialize;
use std::sync::OnceLock;

/// The built-in screening rules.
pub const SCREENING: &str = include_str!("../data/screening.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    to: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
    en: String,
    keywords: Vec<String>,
    #[serde(default)]
    unless: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rules {
    redirect: Vec<Rule>,
}

/// The rules and one matcher over all their words: (rule, is `unless`) per pattern.
struct Screen {
    rules: Vec<Rule>,
    matcher: Matcher,
    words: Vec<(usize, bool, String)>,
}

fn compiled() -> Option<&'static Screen> {
    static SCREEN: OnceLock<Option<Screen>> = OnceLock::new();
    SCREEN
        .get_or_init(|| {
            // Built-in data, checked by this module's tests.
            let rules = toml::from_str::<Rules>(SCREENING).ok()?.redirect;
            let mut words = Vec::new();
            for (i, r) in rules.iter().enumerate() {
                words.extend(r.keywords.iter().map(|k| (i, false, k.clone())));
                words.extend(r.unless.iter().map(|u| (i, true, u.clone())));
            }
            let matcher = Matcher::new(words.iter().map(|(_, _, w)| w.clone()));
            Some(Screen { rules, matcher, words })
        })
        .as_ref()
}

/// The redirect for a demand whose text describes an emergency or a court matter, with the keyword
/// found. One pass over the text finds every keyword and `unless` word of every rule.
pub fn screen(title: &str, description: &str) -> Option<(Redirect, &'static str)> {
    let screen = compiled()?;
    let mut hit: Vec<Option<&'static str>> = vec![None; screen.rules.len()];
    let mut vetoed = vec![false; screen.rules.len()];
    for text in [title, description] {
        for m in screen.matcher.find_all(text) {
            let (rule, unless, word) = &screen.words[m.pattern];
            if *unless {
                vetoed[*rule] = true;
            } else if hit[*rule].is_none() {
                hit[*rule] = Some(word.as_str());
            }
        }
    }
    screen.rules.iter().enumerate().find_map(|(i, r)| {
        let word = hit[i].filter(|_| !vetoed[i])?;
        Some((Redirect { to: r.to.clone(), message: Message::new(r.zh_cn.clone(), r.en.clone()) }, word))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_parses() {
        assert_eq!(compiled().map(|s| s.rules.len()), Some(5));
    }

    #[test]
    fn table() {
        let to = |t: &str| screen("", t).map(|(r, _)| r.to);
        assert_eq!(to("楼下饭馆着火了，浓烟很大").as_deref(), Some("119"));
        assert_eq!(to("如果发生火灾，后果不堪设想").as_deref(), None);
        assert_eq!(to("楼道堆放杂物，一旦着火了后果不堪设想，存在消防隐患").as_deref(), None);
        assert_eq!(to("路口有人晕倒了没人管").as_deref(), Some("120"));
        assert_eq!(to("吸入后可出现呼吸困难").as_deref(), None);
        assert_eq!(to("刚才在路口发生车祸，两车相撞").as_deref(), Some("122"));
        assert_eq!(to("这个路口容易发生车祸，建议装红绿灯").as_deref(), None);
        assert_eq!(to("小区门口有人正在打人").as_deref(), Some("110"));
        assert_eq!(to("我和开发商的纠纷法院已立案，请12345督促").as_deref(), Some("court"));
        assert_eq!(to("小区垃圾三天没人清运").as_deref(), None);
    }
}
