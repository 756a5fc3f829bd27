//! The output cap, charged while the host lifts a hook's result out of the plugin's memory: each string
//! and list is charged before it is copied, and the lift stops at the cap. A plugin can make a result
//! whose strings all point at the same bytes (aliasing): it costs the plugin its memory once, but a
//! host that copied first and measured afterwards would allocate that memory once per string. Here
//! what the host allocates stays within the cap (plus one list's elements, which the plugin's memory
//! bounds). The hooks' results are lifted into the mirror types below, then handed on as the shared
//! binding types.

use minyi_runtime::bindings::types;
use std::cell::Cell;
use wasmtime::ValRaw;
use wasmtime::component::__internal::{CanonicalAbiInfo, InstanceType, InterfaceType, LiftContext};
use wasmtime::component::{ComponentType, Lift};

/// The lift of a hook's result passed the plugin's output cap: `bytes` were claimed by then.
#[derive(Debug, thiserror::Error)]
#[error("the hook's result holds more than {cap} bytes of output ({bytes} claimed when the host stopped)")]
pub(crate) struct OverCap {
    /// Bytes charged when the cap was passed (the string or list that passed it included).
    pub(crate) bytes: usize,
    /// The cap.
    pub(crate) cap: usize,
}

thread_local! {
    /// The budget of the lift running on this thread: `(charged, cap)`; none outside [`capped`].
    static BUDGET: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

/// Runs `call` (one hook call and the lift of its result) with `cap` bytes of output to lift.
pub(crate) fn capped<R>(cap: usize, call: impl FnOnce() -> R) -> R {
    struct Reset(Option<(usize, usize)>);
    impl Drop for Reset {
        fn drop(&mut self) {
            BUDGET.with(|b| b.set(self.0));
        }
    }
    let _reset = Reset(BUDGET.with(|b| b.replace(Some((0, cap)))));
    call()
}

/// Charges `bytes` to the running lift; the error once the total passes the cap.
fn charge(bytes: usize) -> wasmtime::Result<()> {
    BUDGET.with(|b| match b.get() {
        None => Ok(()),
        Some((charged, cap)) => {
            let charged = charged.saturating_add(bytes);
            b.set(Some((charged, cap)));
            if charged > cap { Err(OverCap { bytes: charged, cap }.into()) } else { Ok(()) }
        }
    })
}

/// The length half of a canonical-ABI pointer pair in memory (`bytes` is the pair's 8 bytes).
fn len_in_memory(bytes: &[u8]) -> usize {
    bytes.get(4..8).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, |b| u32::from_le_bytes(b) as usize)
}

/// A string, charged its length before it is copied.
#[derive(Debug)]
pub(crate) struct Text(pub(crate) String);

// SAFETY: the same representation, ABI and type check as `String`, to which every operation defers.
#[allow(unsafe_code)]
unsafe impl ComponentType for Text {
    type Lower = [ValRaw; 2];
    const ABI: CanonicalAbiInfo = <String as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <String as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: charges, then lifts exactly as `String` does.
#[allow(unsafe_code)]
unsafe impl Lift for Text {
    fn linear_lift_from_flat(cx: &mut LiftContext<'_>, ty: InterfaceType, src: &Self::Lower) -> wasmtime::Result<Self> {
        // The length in code units; the top bit is the UTF-16 tag of the latin1+utf16 encoding.
        charge((src[1].get_u32() & 0x7fff_ffff) as usize)?;
        String::linear_lift_from_flat(cx, ty, src).map(Text)
    }

    fn linear_lift_from_memory(cx: &mut LiftContext<'_>, ty: InterfaceType, bytes: &[u8]) -> wasmtime::Result<Self> {
        charge(len_in_memory(bytes) & 0x7fff_ffff)?;
        String::linear_lift_from_memory(cx, ty, bytes).map(Text)
    }
}

/// A list, charged what its elements take on the host before they are lifted.
#[derive(Debug)]
pub(crate) struct List<T>(pub(crate) Vec<T>);

// SAFETY: the same representation, ABI and type check as `Vec<T>`, to which every operation defers.
#[allow(unsafe_code)]
unsafe impl<T: ComponentType> ComponentType for List<T> {
    type Lower = [ValRaw; 2];
    const ABI: CanonicalAbiInfo = <Vec<T> as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <Vec<T> as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: charges, then lifts exactly as `Vec<T>` does.
#[allow(unsafe_code)]
unsafe impl<T: Lift> Lift for List<T> {
    fn linear_lift_from_flat(cx: &mut LiftContext<'_>, ty: InterfaceType, src: &Self::Lower) -> wasmtime::Result<Self> {
        charge((src[1].get_u32() as usize).saturating_mul(size_of::<T>()))?;
        Vec::<T>::linear_lift_from_flat(cx, ty, src).map(List)
    }

    fn linear_lift_from_memory(cx: &mut LiftContext<'_>, ty: InterfaceType, bytes: &[u8]) -> wasmtime::Result<Self> {
        charge(len_in_memory(bytes).saturating_mul(size_of::<T>()))?;
        Vec::<T>::linear_lift_from_memory(cx, ty, bytes).map(List)
    }
}

fn texts(list: List<Text>) -> Vec<String> {
    list.0.into_iter().map(|t| t.0).collect()
}

/// `message`, as lifted.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct Message {
    #[component(name = "zh-cn")]
    zh_cn: Text,
    en: Text,
}

/// `issue`, as lifted.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct Issue {
    field: Text,
    code: Text,
    severity: types::Severity,
    message: Message,
}

impl From<Issue> for types::Issue {
    fn from(i: Issue) -> Self {
        types::Issue {
            field: i.field.0,
            code: i.code.0,
            severity: i.severity,
            message: types::Message { zh_cn: i.message.zh_cn.0, en: i.message.en.0 },
        }
    }
}

/// `fired-rule`, as lifted.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct FiredRule {
    rule: Text,
    why: Text,
}

/// `near-miss`, as lifted.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct NearMiss {
    rule: Text,
    failed: Text,
}

/// `explanation`, as lifted.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct Explanation {
    fired: List<FiredRule>,
    #[component(name = "near-misses")]
    near_misses: List<NearMiss>,
}

/// `routing-decision`, as lifted.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct RoutingDecision {
    lead: Text,
    #[component(name = "co-handlers")]
    co_handlers: List<Text>,
    tier: types::SlaTier,
    deadline: Text,
    priority: u8,
    tags: List<Text>,
    escalate: List<Text>,
    manual: bool,
    explanation: Explanation,
}

impl From<RoutingDecision> for types::RoutingDecision {
    fn from(d: RoutingDecision) -> Self {
        types::RoutingDecision {
            lead: d.lead.0,
            co_handlers: texts(d.co_handlers),
            tier: d.tier,
            deadline: d.deadline.0,
            priority: d.priority,
            tags: texts(d.tags),
            escalate: texts(d.escalate),
            manual: d.manual,
            explanation: types::Explanation {
                fired: d
                    .explanation
                    .fired
                    .0
                    .into_iter()
                    .map(|f| types::FiredRule { rule: f.rule.0, why: f.why.0 })
                    .collect(),
                near_misses: d
                    .explanation
                    .near_misses
                    .0
                    .into_iter()
                    .map(|n| types::NearMiss { rule: n.rule.0, failed: n.failed.0 })
                    .collect(),
            },
        }
    }
}

/// `exclusion`, as lifted.
#[derive(ComponentType, Lift)]
#[component(record)]
pub(crate) struct Exclusion {
    reason: types::ExclusionReason,
    reviewer: Text,
    note: Text,
}

impl From<Exclusion> for types::Exclusion {
    fn from(e: Exclusion) -> Self {
        types::Exclusion { reason: e.reason, reviewer: e.reviewer.0, note: e.note.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_to_the_cap_and_no_further() {
        capped(10, || {
            assert!(charge(4).is_ok());
            assert!(charge(6).is_ok(), "exactly the cap is allowed");
            let e = charge(1).expect_err("one byte past the cap");
            let over = e.downcast_ref::<OverCap>().expect("an OverCap");
            assert_eq!((over.bytes, over.cap), (11, 10));
        });
        assert!(charge(usize::MAX).is_ok(), "outside a capped call nothing is charged");
        capped(1, || {
            assert!(charge(usize::MAX).is_err());
            assert!(charge(usize::MAX).is_err(), "the total saturates instead of wrapping");
        });
    }
}
