//! Places in data documents (rule sets, schemas): byte offsets as 1-based line and column.

/// 1-based line and column (in characters) of a byte offset in `source`.
pub fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_and_columns_count_characters() {
        assert_eq!(super::line_col("a\n朝阳x", 0), (1, 1));
        assert_eq!(super::line_col("a\n朝阳x", 8), (2, 3));
        assert_eq!(super::line_col("a", 99), (1, 2));
    }
}
