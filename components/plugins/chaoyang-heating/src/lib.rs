//! 朝阳区 heating-season routing amendment: a `routing-plugin` component (see README.md).
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({ world: "routing-plugin", path: "../../../wit" });

use exports::minyi::casework::routing_hook::Guest;
use minyi::casework::types::{CaseForm, FiredRule, RoutingDecision};
use minyi::casework::{district_config, log};

/// The rule id this plugin writes into the explanation.
const RULE: &str = "plugin:chaoyang-heating";

struct Plugin;

/// `MM-DD` of an RFC 3339 timestamp or of a season bound, as (month, day).
fn month_day(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let md = if s.len() >= 10 { s.get(5..10)? } else { s };
    let (m, d) = md.split_once('-')?;
    Some((m.parse().ok()?, d.parse().ok()?))
}

/// Whether `day` falls in `from..=to`, a window that may wrap the new year (`11-15..03-15`).
fn in_season(day: (u32, u32), from: (u32, u32), to: (u32, u32)) -> bool {
    if from <= to { from <= day && day <= to } else { day >= from || day <= to }
}

impl Guest for Plugin {
    fn amend_route(form: CaseForm, base: RoutingDecision) -> Option<RoutingDecision> {
        if !form.category.as_deref().is_some_and(|c| c.starts_with("utilities.heating")) {
            return None;
        }
        let season = district_config::get("heating_season").unwrap_or_else(|| "11-15..03-15".to_owned());
        let Some((from, to)) = season.split_once("..").and_then(|(a, b)| Some((month_day(a)?, month_day(b)?))) else {
            log::write(log::Level::Warn, &format!("heating_season {season:?} is not MM-DD..MM-DD; nothing amended"));
            return None;
        };
        if !in_season(month_day(&form.received_at)?, from, to) {
            return None;
        }
        let street = form.street.clone()?;
        let mut d = base;
        if d.lead != street && !d.co_handlers.contains(&street) {
            d.co_handlers.push(street.clone());
        }
        d.priority = d.priority.min(1);
        if !d.tags.iter().any(|t| t == "heating-season") {
            d.tags.push("heating-season".to_owned());
        }
        d.explanation.fired.push(FiredRule {
            rule: RULE.to_owned(),
            why: format!("供暖季 {season}：供暖诉求由属地街道 {street} 协办，优先级 1 (heating season: street co-handles, priority 1)"),
        });
        log::write(log::Level::Info, &format!("heating demand in season: {street} co-handles"));
        Some(d)
    }
}

export!(Plugin);
