//! The demand category tree (诉求分类): three levels, leaf codes like `urban.sanitation.garbage`.

/// A node of the category tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Dotted code, e.g. `urban.sanitation` (level 2) or `urban.sanitation.garbage` (a leaf).
    pub code: &'static str,
    /// Simplified Chinese name.
    pub zh_cn: &'static str,
    /// English name.
    pub en: &'static str,
    /// 1, 2 or 3 (a leaf).
    pub level: u8,
}

include!(concat!(env!("OUT_DIR"), "/categories.rs"));

/// The node with this code, at any level.
pub fn get(code: &str) -> Option<&'static Category> {
    CATEGORIES.binary_search_by(|c| c.code.cmp(code)).ok().map(|i| &CATEGORIES[i])
}

/// The leaf with this code (cases are filed under leaves only).
pub fn leaf(code: &str) -> Option<&'static Category> {
    get(code).filter(|c| c.level == 3)
}

/// A category is under a prefix at a level boundary: `urban.sanitation` covers `urban.sanitation.garbage`
/// and itself, not `urban.sanitationx`.
pub fn under(category: &str, prefix: &str) -> bool {
    category == prefix || category.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.'))
}

/// Every leaf.
pub fn leaves() -> impl Iterator<Item = &'static Category> {
    CATEGORIES.iter().filter(|c| c.level == 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_shape() {
        assert!(leaves().count() >= 150, "{}", leaves().count());
        assert_eq!(leaf("urban.sanitation.garbage").map(|c| c.zh_cn), Some("垃圾清运"));
        assert!(leaf("urban.sanitation").is_none(), "not a leaf");
        assert_eq!(get("urban.sanitation").map(|c| c.level), Some(2));
        for c in leaves() {
            let parent = c.code.rsplit_once('.').map(|(p, _)| p).unwrap_or_default();
            assert_eq!(get(parent).map(|p| p.level), Some(2), "{}", c.code);
        }
    }
}
