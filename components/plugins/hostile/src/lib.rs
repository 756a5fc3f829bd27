//! Test plugin that misbehaves on purpose: a `district-plugin` component whose every hook does what the
//! district configuration's `mode` says (see README.md). It exists to prove the runtime contains it.
// A component only for wasm32: a native `cargo build --workspace` builds it empty (its export names
// do not link into a native cdylib); clippy still lints it natively.
#![cfg(any(target_arch = "wasm32", clippy))]
#![allow(unsafe_code)]

wit_bindgen::generate!({ world: "district-plugin", path: "../../../wit" });

use exports::minyi::casework::{routing_hook, scoring_hook, validation_hook};
use minyi::casework::types::{CaseForm, Exclusion, Issue, Message, RoutingDecision, Severity};
use minyi::casework::{clock, district_config, log};

struct Plugin;

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    // Keeps a frame per call alive, so the stack runs out.
    let frame = [depth; 64];
    std::hint::black_box(&frame);
    if depth == u64::MAX { 0 } else { recurse(depth + 1).wrapping_add(frame[3]) }
}

/// Does the mode's damage; returns how many issues to produce for `huge-output`.
fn misbehave() -> usize {
    let mode = district_config::get("mode").unwrap_or_default();
    log::write(log::Level::Info, &format!("hostile plugin, mode {mode:?}, at {}", clock::now()));
    match mode.as_str() {
        "loop" => {
            let mut x: u64 = 0;
            loop {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        "memory" => {
            let mut hog: Vec<Vec<u8>> = Vec::new();
            loop {
                hog.push(vec![0xAB; 1 << 20]);
                std::hint::black_box(&hog);
            }
        }
        "trap" => panic!("the hostile plugin traps on purpose"),
        "recursion" => {
            std::hint::black_box(recurse(0));
            0
        }
        "huge-output" => 20_000,
        "slow" => {
            // Busy but finite: 1 M iterations, a fraction of the default budget.
            let mut x: u64 = 1;
            for i in 0..1_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
            }
            usize::from(x == 0)
        }
        _ => 0,
    }
}

fn issue(i: usize) -> Issue {
    Issue {
        field: format!("attributes.x{i}"),
        code: "hostile.output".to_owned(),
        severity: Severity::Warning,
        message: Message { zh_cn: "无用的输出。".repeat(8), en: "Useless output. ".repeat(8) },
    }
}

impl validation_hook::Guest for Plugin {
    fn extra_issues(_: CaseForm) -> Vec<Issue> {
        (0..misbehave()).map(issue).collect()
    }
}

impl routing_hook::Guest for Plugin {
    fn amend_route(_: CaseForm, base: RoutingDecision) -> Option<RoutingDecision> {
        let n = misbehave();
        if n == 0 {
            return None;
        }
        let mut d = base;
        d.tags = (0..n).map(|i| format!("tag-{i}-{}", "x".repeat(32))).collect();
        Some(d)
    }
}

impl scoring_hook::Guest for Plugin {
    fn review_case(_: String) -> Option<Exclusion> {
        let n = misbehave();
        (n > 0).then(|| Exclusion {
            reason: minyi::casework::types::ExclusionReason::Invalid,
            reviewer: "hostile".to_owned(),
            note: "x".repeat(n * 64),
        })
    }
}

export!(Plugin);
