//! The emergency and out-of-scope phrase lists (`data/phrases.toml`), one for validation's screening and
//! routing's `phrases` condition: a list holds for a text that contains one of its keywords and none
//! of its `unless` words. Each list is scanned in one pass over the text with every other list.

use crate::matcher::Matcher;
use std::sync::OnceLock;

/// Where validation sends a demand a list holds for, instead of taking it as a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseRedirect {
    /// `110`, `119`, `120`, `122` or `court`.
    pub to: &'static str,
    /// The citizen's message, zh-CN.
    pub zh_cn: &'static str,
    /// The citizen's message, en.
    pub en: &'static str,
}

/// One phrase list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseList {
    /// Its name, as a rule set names it: `fire`, `medical`, `traffic_accident`, `crime`, `gas_leak`, `court`.
    pub name: &'static str,
    /// Where validation redirects; `None`: routing's alone (a gas leak is 12345's, at once).
    pub redirect: Option<PhraseRedirect>,
    /// Any of these…
    pub keywords: &'static [&'static str],
    /// …and none of these.
    pub unless: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/phrases.rs"));

/// The list with this name, and its index in [`LISTS`].
pub fn list(name: &str) -> Option<(usize, &'static PhraseList)> {
    LISTS.iter().enumerate().find(|(_, l)| l.name == name)
}

/// Every list's words under one matcher: (list, is an `unless` word) per pattern.
struct Compiled {
    matcher: Matcher,
    words: Vec<(usize, bool, &'static str)>,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let mut words = Vec::new();
        for (i, l) in LISTS.iter().enumerate() {
            words.extend(l.keywords.iter().map(|k| (i, false, *k)));
            words.extend(l.unless.iter().map(|u| (i, true, *u)));
        }
        Compiled { matcher: Matcher::new(words.iter().map(|(_, _, w)| *w)), words }
    })
}

/// What the lists found in a text: per list, the first keyword found and whether an `unless` word was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    hit: Vec<Option<&'static str>>,
    vetoed: Vec<Option<&'static str>>,
}

impl Scan {
    /// Scans these texts (title, description) in one pass each.
    pub fn of(texts: &[&str]) -> Scan {
        let c = compiled();
        let mut scan = Scan { hit: vec![None; LISTS.len()], vetoed: vec![None; LISTS.len()] };
        for text in texts {
            for m in c.matcher.find_all(text) {
                let Some(&(list, unless, word)) = c.words.get(m.pattern) else { continue };
                let slot = if unless { &mut scan.vetoed[list] } else { &mut scan.hit[list] };
                slot.get_or_insert(word);
            }
        }
        scan
    }

    /// The keyword list `index` holds by, when it holds (a keyword and no `unless` word).
    pub fn holds(&self, index: usize) -> Option<&'static str> {
        self.hit.get(index).copied().flatten().filter(|_| self.vetoed.get(index).is_some_and(Option::is_none))
    }

    /// The keyword and the `unless` word found, for an explanation of why a list did not hold.
    pub fn found(&self, index: usize) -> (Option<&'static str>, Option<&'static str>) {
        (self.hit.get(index).copied().flatten(), self.vetoed.get(index).copied().flatten())
    }

    /// The first list with a redirect that holds, with the keyword.
    pub fn redirect(&self) -> Option<(&'static PhraseList, &'static str)> {
        LISTS.iter().enumerate().find_map(|(i, l)| Some((l, self.holds(i).filter(|_| l.redirect.is_some())?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_there_with_their_redirects() {
        let names: Vec<&str> = LISTS.iter().map(|l| l.name).collect();
        assert_eq!(names, ["fire", "medical", "traffic_accident", "crime", "gas_leak", "court"]);
        assert!(list("gas_leak").is_some_and(|(_, l)| l.redirect.is_none()));
        assert_eq!(list("crime").and_then(|(_, l)| l.redirect).map(|r| r.to), Some("110"));
    }

    #[test]
    fn a_list_holds_by_a_keyword_unless_an_unless_word_is_there() {
        let (gas, _) = list("gas_leak").expect("gas_leak");
        assert_eq!(Scan::of(&["厨房有很重的燃气味", ""]).holds(gas), Some("燃气味"));
        assert_eq!(Scan::of(&["暖气漏气", "家里暖气漏气滴水"]).holds(gas), None);
        assert_eq!(Scan::of(&["", "楼道堆物有火灾隐患，燃气管道漏气怎么办"]).holds(gas), None);
        let scan = Scan::of(&["暖气漏气", ""]);
        assert_eq!(scan.found(gas), (Some("漏气"), Some("暖气漏气")));
    }
}
