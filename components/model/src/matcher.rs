//! A small multi-pattern matcher for Chinese text (no word spaces): patterns bucketed by first
//! character through a direct table, so each character of the text costs one array load. Small in
//! wasm, which matters for the browser download, and fast on the texts citizens write.

/// Patterns, indexed by their first character; within a bucket, longest first.
#[derive(Debug, Default)]
pub struct Matcher {
    /// Bucket number + 1 for each first character (mod 2^16; the candidates are verified anyway).
    table: Vec<u16>,
    buckets: Vec<Vec<usize>>,
    patterns: Vec<String>,
}

/// One match: byte range and pattern index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Index of the pattern, in the order given to [`Matcher::new`].
    pub pattern: usize,
}

const TABLE: usize = 1 << 16;

impl Matcher {
    /// A matcher over these patterns (empty patterns are ignored).
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(patterns: I) -> Self {
        let patterns: Vec<String> = patterns.into_iter().map(Into::into).collect();
        let mut m = Matcher { table: vec![0; TABLE], buckets: Vec::new(), patterns: Vec::new() };
        for (i, p) in patterns.iter().enumerate() {
            if let Some(first) = p.chars().next() {
                let slot = &mut m.table[first as usize % TABLE];
                if *slot == 0 && m.buckets.len() < usize::from(u16::MAX) {
                    m.buckets.push(Vec::new());
                    *slot = m.buckets.len() as u16;
                }
                if let Some(bucket) = m.buckets.get_mut(usize::from(*slot).wrapping_sub(1)) {
                    bucket.push(i);
                }
            }
        }
        for bucket in &mut m.buckets {
            bucket.sort_by_key(|&i| std::cmp::Reverse(patterns[i].len()));
        }
        m.patterns = patterns;
        m
    }

    fn candidates(&self, c: char) -> &[usize] {
        match self.table.get(c as usize % TABLE) {
            Some(&slot) if slot > 0 => self.buckets.get(usize::from(slot) - 1).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }

    /// Every occurrence of every pattern, overlapping, in order of start.
    pub fn find_all<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Match> + 'a {
        text.char_indices().flat_map(move |(at, c)| {
            self.candidates(c).iter().filter_map(move |&i| {
                let p = &self.patterns[i];
                text[at..].starts_with(p.as_str()).then(|| Match { start: at, end: at + p.len(), pattern: i })
            })
        })
    }

    /// Leftmost-longest, non-overlapping matches: at each place the longest pattern wins.
    pub fn find_longest(&self, text: &str) -> Vec<Match> {
        let mut out = Vec::new();
        let mut next = 0;
        for (at, c) in text.char_indices() {
            if at < next {
                continue;
            }
            if let Some(&i) = self.candidates(c).iter().find(|&&i| text[at..].starts_with(self.patterns[i].as_str())) {
                let end = at + self.patterns[i].len();
                out.push(Match { start: at, end, pattern: i });
                next = end;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_and_all() {
        let m = Matcher::new(["安定", "安定门", "门外", "海淀"]);
        let longest: Vec<usize> = m.find_longest("东城区安定门外大街海淀").iter().map(|m| m.pattern).collect();
        assert_eq!(longest, vec![1, 3]);
        let all: Vec<usize> = m.find_all("安定门外").map(|m| m.pattern).collect();
        assert_eq!(all, vec![1, 0, 2]);
        assert!(m.find_longest("").is_empty());
    }
}
