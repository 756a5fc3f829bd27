//! Geometry for location conditions: named polygons (point-in-polygon) and grid cells.

use crate::format::Grid;

/// A named polygon, vertices as `[lat, lon]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Area {
    pub name: String,
    pub polygon: Vec<[f64; 2]>,
}

impl Area {
    /// Even-odd ray casting; points on the boundary may fall either way.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let mut inside = false;
        let n = self.polygon.len();
        for i in 0..n {
            let [ay, ax] = self.polygon[i];
            let [by, bx] = self.polygon[(i + n - 1) % n];
            if (ay > lat) != (by > lat) && lon < (bx - ax) * (lat - ay) / (by - ay) + ax {
                inside = !inside;
            }
        }
        inside
    }
}

/// The grid cell `(row, col)` of a point.
pub(crate) fn cell(grid: &Grid, lat: f64, lon: f64) -> (i64, i64) {
    (((lat - grid.origin[0]) / grid.size).floor() as i64, ((lon - grid.origin[1]) / grid.size).floor() as i64)
}

/// `r{row}c{col}`.
pub(crate) fn cell_name((row, col): (i64, i64)) -> String {
    format!("r{row}c{col}")
}

/// Parses `r{row}c{col}`.
pub(crate) fn parse_cell(s: &str) -> Option<(i64, i64)> {
    let (row, col) = s.strip_prefix('r')?.split_once('c')?;
    Some((row.parse().ok()?, col.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygon_and_grid() {
        let square =
            Area { name: "sq".into(), polygon: vec![[39.0, 116.0], [39.0, 117.0], [40.0, 117.0], [40.0, 116.0]] };
        assert!(square.contains(39.5, 116.5));
        assert!(!square.contains(40.5, 116.5) && !square.contains(39.5, 115.9));
        let g = Grid { origin: [39.4, 115.4], size: 0.01 };
        let c = cell(&g, 39.995, 116.475);
        assert_eq!(cell_name(c), "r59c107");
        assert_eq!(parse_cell("r59c107"), Some(c));
        assert_eq!(parse_cell("x1"), None);
    }
}
