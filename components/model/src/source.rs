//! Places in data documents (rule sets, schemas): byte offsets as 1-based line and column.

/// 1-based line and column (in characters) of a byte offset in `source`.
pub fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}

/// Line starts of a document, for many lookups: each costs a binary search, not a scan from the top.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `source`.
    pub fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { source, starts }
    }

    /// 1-based line and column (in characters) of a byte offset; the same answer as [`line_col`].
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self.source.get(start..offset).map_or(0, |l| l.chars().count()) + 1;
        (line as u32, column as u32)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_index_agrees_with_the_scan() {
        let text = "a\n朝阳x\n\nlast line";
        let index = super::LineIndex::new(text);
        for offset in (0..=text.len() + 2).filter(|&o| o >= text.len() || text.is_char_boundary(o)) {
            assert_eq!(index.line_col(offset), super::line_col(text, offset), "offset {offset}");
        }
    }

    #[test]
    fn lines_and_columns_count_characters() {
        assert_eq!(super::line_col("a\n朝阳x", 0), (1, 1));
        assert_eq!(super::line_col("a\n朝阳x", 8), (2, 3));
        assert_eq!(super::line_col("a", 99), (1, 2));
    }
}
