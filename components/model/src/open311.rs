//! How a row of an Open311 / NYC 311 export becomes a case form: the category code that encodes its
//! complaint type and descriptor, and the borough as the district. Shared by the rule-set generator and
//! `minyi eval-311`, so both sides slug names the same way.

/// A name as one category level: lower-case ASCII letters and digits, other runs become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "unspecified".to_owned() } else { out }
}

/// `nyc.<complaint type>.<descriptor>`; an empty descriptor is the leaf `unspecified`, so a rule on a
/// type's prefix and a rule on one of its leaves never mean the same thing.
pub fn category(complaint_type: &str, descriptor: &str) -> String {
    format!("nyc.{}.{}", slug(complaint_type), slug(descriptor))
}

/// `nyc.<complaint type>`: the prefix shared by all of a type's descriptors.
pub fn type_prefix(complaint_type: &str) -> String {
    format!("nyc.{}", slug(complaint_type))
}

/// The district code of a borough: its slug (`STATEN ISLAND` → `staten-island`).
pub fn district(borough: &str) -> String {
    slug(borough)
}

/// An NYC timestamp (`2025-12-31T23:59:28.000`, local time without an offset) as RFC 3339. New York
/// is taken at UTC−05:00 all year: 311 rule sets do not depend on the hour, and DST would need a
/// time-zone database for nothing. A timestamp that already carries an offset is kept.
pub fn received_at(created: &str) -> String {
    let t = created.trim();
    let has_offset = t.ends_with('Z') || t.get(19..).is_some_and(|rest| rest.contains(['+', '-']));
    if has_offset { t.to_owned() } else { format!("{t}-05:00") }
}

/// One row of an NYC 311 export (NYC Open Data's column names), as far as Minyi reads it: the one row
/// type behind `minyi eval-311`, `minyi import-311` and the NYC rule-set generator. Missing columns
/// read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct Row {
    /// `unique_key`: the request's number.
    pub unique_key: String,
    /// `created_date`: local New York time without an offset.
    pub created_date: String,
    /// `closed_date`, empty while open.
    pub closed_date: String,
    /// `agency`: the handling unit's code (`NYPD`).
    pub agency: String,
    /// `agency_name`.
    pub agency_name: String,
    /// `complaint_type`.
    pub complaint_type: String,
    /// `descriptor`.
    pub descriptor: String,
    /// `borough`.
    pub borough: String,
}

/// The case form a row stands for: its borough as the district, its type and descriptor as the
/// category and the text, received when it was created, through the `open311` channel.
pub fn case_form(row: &Row) -> crate::CaseForm {
    crate::CaseForm {
        district: district(&row.borough),
        street: None,
        channel: crate::Channel::Open311,
        kind: crate::Kind::Complaint,
        category: Some(category(&row.complaint_type, &row.descriptor)),
        title: row.complaint_type.clone(),
        description: row.descriptor.clone(),
        address: String::new(),
        location: None,
        reporter: None,
        attributes: Default::default(),
        attachments: Vec::new(),
        consent: true,
        received_at: received_at(&row.created_date),
    }
}

/// The case events a row implies: received at creation, dispatched at once to its agency (a
/// department, general tier), replied when closed. 311 exports carry no callbacks.
pub fn case_events(row: &Row) -> Vec<crate::CaseEvent> {
    use crate::{CaseEvent, Event, SlaTier, UnitType};
    let case_id = format!("NYC-{}", row.unique_key.trim());
    let at = received_at(&row.created_date);
    let event = |at: &str, event: Event| CaseEvent { case_id: case_id.clone(), at: at.to_owned(), by: None, event };
    let mut events = vec![
        event(
            &at,
            Event::Received {
                district: Some(district(&row.borough)),
                street: None,
                category: Some(category(&row.complaint_type, &row.descriptor)),
                address: None,
                fingerprint: None,
                reported_at: None,
            },
        ),
        event(
            &at,
            Event::Dispatched {
                unit: row.agency.trim().to_owned(),
                unit_type: Some(UnitType::Department),
                tier: Some(SlaTier::General),
                deadline: None,
                co_handlers: Vec::new(),
            },
        ),
    ];
    if !row.closed_date.trim().is_empty() {
        events.push(event(&received_at(&row.closed_date), Event::Replied { resolved: None, message: None }));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(category("Noise - Residential", "Loud Music/Party"), "nyc.noise-residential.loud-music-party");
        assert_eq!(category("HEAT/HOT WATER", ""), "nyc.heat-hot-water.unspecified");
        assert_eq!(type_prefix("HEAT/HOT WATER"), "nyc.heat-hot-water");
        assert_eq!(slug("  "), "unspecified");
        assert_eq!(district("STATEN ISLAND"), "staten-island");
        assert_eq!(received_at("2025-12-31T23:59:28.000"), "2025-12-31T23:59:28.000-05:00");
        assert_eq!(received_at("2025-12-31T23:59:28+08:00"), "2025-12-31T23:59:28+08:00");
    }
}
