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

/// The `router` world of `minyi:router`: the casework router and `context-routing`. Only its
/// `context-routing` indices are used, looked up beside the `router` world's, so that a router
/// component without that export (one built before it existed, kept for replay) still loads.
pub mod context_router {
    wasmtime::component::bindgen!({
        world: "minyi:router/router",
        path: ["../../wit", "../../wit/router"],
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

/// The `district-plugin` world: every capability a plugin may import, and all three hooks.
pub mod district_plugin {
    wasmtime::component::bindgen!({
        world: "district-plugin",
        path: "../../wit",
        with: { "minyi:casework/types": super::types },
    });
}

/// The `validation-plugin` world: the validation hook alone (a plugin's hooks are each optional).
pub mod validation_plugin {
    wasmtime::component::bindgen!({
        world: "validation-plugin",
        path: "../../wit",
        with: {
            "minyi:casework/types": super::types,
            "minyi:casework/clock": super::district_plugin::minyi::casework::clock,
            "minyi:casework/log": super::district_plugin::minyi::casework::log,
            "minyi:casework/district-config": super::district_plugin::minyi::casework::district_config,
            "minyi:casework/directory": super::district_plugin::minyi::casework::directory,
        },
    });
}

/// The `routing-plugin` world: the routing hook alone.
pub mod routing_plugin {
    wasmtime::component::bindgen!({
        world: "routing-plugin",
        path: "../../wit",
        with: {
            "minyi:casework/types": super::types,
            "minyi:casework/clock": super::district_plugin::minyi::casework::clock,
            "minyi:casework/log": super::district_plugin::minyi::casework::log,
            "minyi:casework/district-config": super::district_plugin::minyi::casework::district_config,
            "minyi:casework/directory": super::district_plugin::minyi::casework::directory,
        },
    });
}

/// The `scoring-plugin` world: the scoring hook alone.
pub mod scoring_plugin {
    wasmtime::component::bindgen!({
        world: "scoring-plugin",
        path: "../../wit",
        with: {
            "minyi:casework/types": super::types,
            "minyi:casework/clock": super::district_plugin::minyi::casework::clock,
            "minyi:casework/log": super::district_plugin::minyi::casework::log,
            "minyi:casework/district-config": super::district_plugin::minyi::casework::district_config,
            "minyi:casework/directory": super::district_plugin::minyi::casework::directory,
        },
    });
}

/// The `classifier` world (its own package, `minyi:classifier`).
pub mod classifier {
    wasmtime::component::bindgen!({ world: "classifier", path: "../../wit/classifier" });
}
