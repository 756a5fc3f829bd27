//! `wasmtime::component::bindgen!` for each component world, and nothing else.
#![allow(missing_docs)]

/// The shared vocabulary, generated once and reused by every world below.
pub mod vocabulary {
    wasmtime::component::bindgen!({ world: "vocabulary", path: "../../wit" });
}

pub use vocabulary::minyi::casework::types;

/// The `validator` world.
pub mod validator {
    wasmtime::component::bindgen!({
        world: "validator",
        path: "../../wit",
        with: { "minyi:casework/types": super::types },
    });
}

/// The `router` world.
pub mod router {
    wasmtime::component::bindgen!({
        world: "router",
        path: "../../wit",
        with: { "minyi:casework/types": super::types },
    });
}

/// The `scorer` world.
pub mod scorer {
    wasmtime::component::bindgen!({
        world: "scorer",
        path: "../../wit",
        with: { "minyi:casework/types": super::types },
    });
}
