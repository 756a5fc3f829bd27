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

/// What a hook returns after the mode's damage: `n` items, whose strings are each their own
/// (`huge-output`) or all the same bytes (`aliased-output`).
#[derive(Clone, Copy)]
struct Output {
    n: usize,
    aliased: bool,
}

/// Items `aliased-output` returns: each of their strings is the same 1 MiB, so the result takes
/// ~1.3 MiB of the plugin's memory but claims ~8 GiB of output. A host that copied every string
/// before measuring would allocate all of it.
const ALIASED: usize = 2_000;

/// A string for `aliased-output`: the same 1 MiB of the plugin's memory each time. Hand-written wasm
/// returns such pointers without ceremony; Rust needs `from_raw_parts`. No such string is ever
/// dropped by this plugin: the bindings move each into the result and forget it.
fn alias() -> String {
    static BIG: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    let big: &'static str = BIG.get_or_init(|| "x".repeat(1 << 20).leak());
    // SAFETY: a hostile plugin's deliberate aliasing, as above; the bytes live for ever (leaked).
    unsafe { String::from_raw_parts(big.as_ptr().cast_mut(), big.len(), big.len()) }
}

/// A string of the result: its own, or the alias.
fn text(out: Output, own: impl FnOnce() -> String) -> String {
    if out.aliased { alias() } else { own() }
}

/// Does the mode's damage; returns what to produce.
fn misbehave() -> Output {
    let output = |n| Output { n, aliased: false };
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
            output(0)
        }
        "huge-output" => output(20_000),
        "aliased-output" => Output { n: ALIASED, aliased: true },
        "slow" => {
            // Busy but finite: 1 M iterations, a fraction of the default budget.
            let mut x: u64 = 1;
            for i in 0..1_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
            }
            output(usize::from(x == 0))
        }
        _ => output(0),
    }
}

fn issue(out: Output, i: usize) -> Issue {
    Issue {
        field: text(out, || format!("attributes.x{i}")),
        code: text(out, || "hostile.output".to_owned()),
        severity: Severity::Warning,
        message: Message {
            zh_cn: text(out, || "无用的输出。".repeat(8)),
            en: text(out, || "Useless output. ".repeat(8)),
        },
    }
}

impl validation_hook::Guest for Plugin {
    fn extra_issues(_: CaseForm) -> Vec<Issue> {
        let out = misbehave();
        (0..out.n).map(|i| issue(out, i)).collect()
    }
}

impl routing_hook::Guest for Plugin {
    fn amend_route(_: CaseForm, base: RoutingDecision) -> Option<RoutingDecision> {
        let out = misbehave();
        if out.n == 0 {
            return None;
        }
        let mut d = base;
        d.tags = (0..out.n).map(|i| text(out, || format!("tag-{i}-{}", "x".repeat(32)))).collect();
        Some(d)
    }
}

impl scoring_hook::Guest for Plugin {
    fn review_case(_: String) -> Option<Exclusion> {
        let out = misbehave();
        (out.n > 0).then(|| Exclusion {
            reason: minyi::casework::types::ExclusionReason::Invalid,
            reviewer: "hostile".to_owned(),
            note: text(out, || "x".repeat(out.n * 64)),
        })
    }
}

export!(Plugin);
