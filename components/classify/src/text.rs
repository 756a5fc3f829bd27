//! What the model reads of a text: normalised characters, then their unigrams and bigrams.

/// Longest text read, in characters: a demand longer than this is read up to here (1 MB of text
/// costs no more than a long letter).
pub const MAX_CHARS: usize = 4000;

/// The text as the features see it: ASCII letters lower-cased, full-width forms folded to ASCII,
/// every digit read as `0` (numbers, phones and masked names vary, their presence does not), and
/// whitespace and control characters dropped.
pub fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
            if c.is_whitespace() || c.is_control() {
                None
            } else if c.is_ascii_digit() || !c.is_ascii() && !is_cjk(c) && c.is_numeric() {
                Some('0')
            } else {
                Some(c.to_ascii_lowercase())
            }
        })
        .take(MAX_CHARS)
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// An n-gram as a number: its first character in the high bits, its second (0 for a unigram) in the
/// low 21. No allocation per n-gram, and a cheap hash.
pub type Gram = u64;

fn key(a: char, b: Option<char>) -> Gram {
    (u64::from(a) << 21) | b.map_or(0, u64::from)
}

/// The n-gram's text.
pub fn gram_text(g: Gram) -> String {
    let first = char::from_u32((g >> 21) as u32);
    let second = char::from_u32((g & 0x1F_FFFF) as u32).filter(|c| *c != '\0');
    first.into_iter().chain(second).collect()
}

/// The n-gram a text of one or two characters is.
pub fn gram_of(text: &str) -> Option<Gram> {
    let mut chars = text.chars();
    let a = chars.next()?;
    let b = chars.next();
    chars.next().is_none().then(|| key(a, b))
}

/// Calls `f` with each unigram and bigram of `chars`, in the order of the text.
pub fn each_gram(chars: &[char], mut f: impl FnMut(Gram)) {
    for (i, c) in chars.iter().enumerate() {
        f(key(*c, None));
        if let Some(next) = chars.get(i + 1) {
            f(key(*c, Some(*next)));
        }
    }
}

/// Each unigram and bigram of `chars` with how often it occurs, in the order of their numbers.
pub fn grams(chars: &[char]) -> Vec<(Gram, u32)> {
    let mut all: Vec<Gram> = Vec::with_capacity(chars.len() * 2);
    each_gram(chars, |g| all.push(g));
    all.sort_unstable();
    let mut out: Vec<(Gram, u32)> = Vec::with_capacity(all.len());
    for g in all {
        match out.last_mut() {
            Some((last, n)) if *last == g => *n += 1,
            _ => out.push((g, 1)),
        }
    }
    out
}

/// A hasher for n-gram numbers (they are not chosen by whoever sends the text: a model's n-grams
/// come from its training data).
#[derive(Debug, Default)]
pub struct GramHasher(u64);

impl std::hash::Hasher for GramHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// N-gram number → its place in the model.
pub type Index = std::collections::HashMap<Gram, u32, std::hash::BuildHasherDefault<GramHasher>>;
