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
            } else if c.is_ascii_digit() || c.is_numeric() && !is_cjk(c) {
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

/// Each unigram and bigram of `chars` with how often it occurs, in first-seen order.
pub fn grams(chars: &[char]) -> Vec<(String, u32)> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<(String, u32)> = Vec::new();
    let mut add = |g: String| match seen.get(&g) {
        Some(&i) => out[i].1 += 1,
        None => {
            seen.insert(g.clone(), out.len());
            out.push((g, 1));
        }
    };
    for (i, c) in chars.iter().enumerate() {
        add(c.to_string());
        if let Some(next) = chars.get(i + 1) {
            add([*c, *next].iter().collect());
        }
    }
    out
}
