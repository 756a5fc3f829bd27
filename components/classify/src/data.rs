//! Examples from any CSV: the text from one or more columns, the label from another. Rows without a
//! label are kept with an empty one: training reads them only to count how common each n-gram is,
//! never as examples, and evaluation skips them.

/// Why a CSV gives no examples.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// A column named on the command line is not in the header.
    #[error("{flag}: the CSV has no column {column:?} (its columns: {columns})")]
    NoColumn {
        /// `--text-col` or `--label-col`.
        flag: &'static str,
        /// The name asked for.
        column: String,
        /// The header's names.
        columns: String,
    },
    /// The CSV itself is broken.
    #[error("csv: line {line}: {message}")]
    Csv {
        /// Where.
        line: u64,
        /// What.
        message: String,
    },
}

/// `(text, label)` for every row of `csv`: the text columns joined by a line break, the label trimmed
/// (empty when the row has none).
pub fn read_csv(csv: &[u8], text_cols: &[&str], label_col: &str) -> Result<Vec<(String, String)>, DataError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv);
    let broken = |e: csv::Error| DataError::Csv { line: e.position().map_or(0, |p| p.line()), message: e.to_string() };
    let header = reader.headers().map_err(broken)?.clone();
    let columns = || header.iter().collect::<Vec<_>>().join(", ");
    let find = |flag: &'static str, name: &str| {
        header.iter().position(|h| h.trim() == name).ok_or_else(|| DataError::NoColumn {
            flag,
            column: name.to_owned(),
            columns: columns(),
        })
    };
    let texts = text_cols.iter().map(|c| find("--text-col", c)).collect::<Result<Vec<_>, _>>()?;
    let label = find("--label-col", label_col)?;
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(broken)?;
        let l = row.get(label).unwrap_or_default().trim();
        let text: Vec<&str> = texts.iter().filter_map(|&i| row.get(i)).collect();
        out.push((text.join("\n"), l.to_owned()));
    }
    Ok(out)
}
