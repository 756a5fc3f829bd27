//! The registry end to end on real plugin components, every test twice: on a real SQLite file and on a
//! real PostgreSQL server (a fresh database per test; `cargo xtask test` starts the server and sets
//! `MINYI_TEST_PG`): signed upload, refusals naming what is wrong, atomic activation, rollback,
//! disable, district isolation, two hosts on one database, the precompiled cache, faults and
//! breaker trips written down for every host, and a district whose version cannot run on a host
//! stopping no other.

use minyi_auth::{Admins, AuthError};
use minyi_plugins::{PluginFault, PluginHost, PluginHostConfig, PluginLimits};
use minyi_registry::{Hook, Limits, Manifest, Registry, RegistryError, WIT_PACKAGE, signing};
use minyi_runtime::bindings::types as wit;
use minyi_tests::postgres::Backend;
use sha2::{Digest, Sha256};
use std::time::Instant;

fn plugin(name: &str) -> &'static [u8] {
    minyi_test_artifacts::PLUGINS.iter().find(|(n, _, _)| *n == name).map(|(_, _, b)| *b).expect("plugin built")
}

fn manifest(name: &str, version: &str, district: &str, hooks: &[Hook], bytes: &[u8], secret: &str) -> Manifest {
    let mut m = Manifest {
        name: name.to_owned(),
        version: version.to_owned(),
        district: district.to_owned(),
        hooks: hooks.to_vec(),
        wit: WIT_PACKAGE.to_owned(),
        limits: Limits::default(),
        config: Default::default(),
        sha256: hex::encode(Sha256::digest(bytes)),
        signature: String::new(),
    };
    signing::sign(&mut m, secret).expect("signs");
    m
}

fn heating_form(district: &str) -> wit::CaseForm {
    wit::CaseForm {
        district: district.into(),
        street: Some(format!("{district}026")),
        channel: wit::Channel::Web,
        kind: wit::Kind::Complaint,
        category: Some("utilities.heating.outage".into()),
        title: "暖气不热".into(),
        description: "家里暖气不热。".into(),
        address: "望京西园三区".into(),
        location: None,
        reporter: None,
        attributes: vec![],
        attachments: vec![],
        consent: true,
        received_at: "2026-11-29T10:00:00+08:00".into(),
    }
}

fn base_decision() -> wit::RoutingDecision {
    wit::RoutingDecision {
        lead: "bj.heating".into(),
        co_handlers: vec![],
        tier: wit::SlaTier::Urgent,
        deadline: "2026-11-30T10:00:00+08:00".into(),
        priority: 2,
        tags: vec![],
        escalate: vec![],
        manual: false,
        explanation: wit::Explanation { fired: vec![], near_misses: vec![] },
    }
}

minyi_tests::on_both!(
    upload_activate_swap_rollback_and_disable,
    refusals_name_what_is_wrong,
    two_hosts_on_one_database_and_the_precompiled_cache,
    faults_and_breaker_trips_are_written_down_for_every_host,
    a_district_that_cannot_run_here_stops_no_other,
);

/// The key this deployment's nodes share for the precompiled cache.
const CACHE_KEY: &str = "test-nodes-share-this-key";

struct World {
    _dir: tempfile::TempDir,
    /// Where a second host connects: the SQLite file's path or the PostgreSQL URL.
    db: String,
    registry: Registry,
    host: PluginHost,
    city: minyi_registry::Staff,
    chaoyang: minyi_registry::Staff,
    haidian: minyi_registry::Staff,
    chaoyang_key: String,
    haidian_key: String,
}

/// A registry on `backend` with a city admin, two district admins and their keys; `None` when the
/// backend is not available here.
fn world(backend: Backend) -> Option<World> {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = backend.database(dir.path(), "minyi_registry")?;
    let registry = Registry::open_url(&db).expect("opens").with_precompiled_key(CACHE_KEY).expect("a key");
    assert_eq!(registry.backend(), backend.name());
    // The admins live in the same database, beside the registry (their own crate, minyi-auth).
    let admins = Admins::open_url(&db).expect("opens");
    let city_token = admins.create_admin(None, None).expect("bootstrap city admin");
    let city = admins.authenticate(&city_token).expect("city admin");
    assert!(
        matches!(admins.create_admin(None, Some("110105")), Err(AuthError::Unauthenticated)),
        "only the first admin needs no token"
    );
    let chaoyang =
        admins.authenticate(&admins.create_admin(Some(&city), Some("110105")).expect("token")).expect("admin");
    let haidian =
        admins.authenticate(&admins.create_admin(Some(&city), Some("110108")).expect("token")).expect("admin");
    assert!(matches!(admins.authenticate("minyi_nope"), Err(AuthError::Unauthenticated)));
    let (chaoyang_key, chaoyang_public) = signing::generate().expect("key");
    let (haidian_key, haidian_public) = signing::generate().expect("key");
    registry.trust_key(&city, "110105", &chaoyang_public).expect("trusts");
    registry.trust_key(&city, "110108", &haidian_public).expect("trusts");
    assert!(matches!(
        registry.trust_key(&chaoyang, "110105", &chaoyang_public),
        Err(RegistryError::Auth(AuthError::Forbidden(_)))
    ));
    let host = PluginHost::new(PluginHostConfig::default()).expect("host");
    Some(World { _dir: dir, db, registry, host, city, chaoyang, haidian, chaoyang_key, haidian_key })
}

fn upload_activate_swap_rollback_and_disable(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let bytes = plugin("chaoyang_heating");
    let v1 = manifest("chaoyang-heating", "1.0.0", "110105", &[Hook::Routing], bytes, &w.chaoyang_key);
    let row = w.registry.upload(&w.chaoyang, &v1, bytes, &w.host).expect("uploads");
    assert_eq!((row.hooks.as_slice(), row.active), (&[Hook::Routing][..], false));
    assert!(w.registry.sync(&w.host).expect("syncs").is_empty(), "nothing active yet");

    w.registry.activate(&w.chaoyang, "110105", "chaoyang-heating", "1.0.0").expect("activates");
    assert_eq!(w.registry.sync(&w.host).expect("syncs"), vec!["110105".to_owned()]);
    let out = w.host.amend_route("110105", None, &heating_form("110105"), base_decision());
    assert!(out.applied, "{out:?}");

    // Version 2: the same bytes with a shorter season; one blob, two versions.
    let mut v2 = manifest("chaoyang-heating", "1.1.0", "110105", &[Hook::Routing], bytes, &w.chaoyang_key);
    v2.config.insert("heating_season".into(), "12-01..02-28".into());
    signing::sign(&mut v2, &w.chaoyang_key).expect("signs");
    w.registry.upload(&w.chaoyang, &v2, bytes, &w.host).expect("uploads");
    w.registry.activate(&w.chaoyang, "110105", "chaoyang-heating", "1.1.0").expect("activates");
    w.registry.sync(&w.host).expect("syncs");
    assert_eq!(w.host.status("110105").expect("active").version, "1.1.0");
    assert!(
        !w.host.amend_route("110105", None, &heating_form("110105"), base_decision()).applied,
        "29 Nov is outside 12-01..02-28"
    );
    let listed = w.registry.list(&w.chaoyang, "110105").expect("lists");
    assert_eq!(listed.iter().filter(|r| r.active).map(|r| r.version.as_str()).collect::<Vec<_>>(), ["1.1.0"]);
    assert_eq!(listed.len(), 2);

    // Rollback pops back to 1.0.0, then to nothing.
    assert_eq!(
        w.registry.rollback(&w.chaoyang, "110105").expect("rolls back"),
        Some(("chaoyang-heating".into(), "1.0.0".into()))
    );
    w.registry.sync(&w.host).expect("syncs");
    assert_eq!(w.host.status("110105").expect("active").version, "1.0.0");
    assert!(w.host.amend_route("110105", None, &heating_form("110105"), base_decision()).applied);

    // Disable: the hook is not called, the reason is visible; activating again re-enables.
    w.registry.disable(&w.chaoyang, "110105", "wrong street in December").expect("disables");
    w.registry.sync(&w.host).expect("syncs");
    let out = w.host.amend_route("110105", None, &heating_form("110105"), base_decision());
    assert!(
        matches!(out.fault, Some(PluginFault::Disabled { ref reason }) if reason == "wrong street in December"),
        "{out:?}"
    );
    assert_eq!(
        w.registry
            .list(&w.chaoyang, "110105")
            .expect("lists")
            .iter()
            .find(|r| r.active)
            .and_then(|r| r.disabled.clone())
            .as_deref(),
        Some("wrong street in December")
    );
    w.registry.activate(&w.chaoyang, "110105", "chaoyang-heating", "1.0.0").expect("activates");
    w.registry.sync(&w.host).expect("syncs");
    assert!(w.host.amend_route("110105", None, &heating_form("110105"), base_decision()).applied);

    assert_eq!(
        w.registry.rollback(&w.chaoyang, "110105").expect("rolls back"),
        Some(("chaoyang-heating".into(), "1.0.0".into()))
    );
    assert_eq!(w.registry.rollback(&w.chaoyang, "110105").expect("rolls back"), None);
    w.registry.sync(&w.host).expect("syncs");
    assert!(w.host.status("110105").is_none(), "no plugin left");
    assert!(matches!(w.registry.rollback(&w.chaoyang, "110105"), Err(RegistryError::NotFound(_))));
}

fn refusals_name_what_is_wrong(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let bytes = plugin("chaoyang_heating");
    let good = manifest("chaoyang-heating", "1.0.0", "110105", &[Hook::Routing], bytes, &w.chaoyang_key);

    // Another district's admin, another district's key, tampered bytes, wrong hooks, bad fields.
    assert!(
        matches!(w.registry.upload(&w.haidian, &good, bytes, &w.host), Err(RegistryError::Auth(AuthError::Forbidden(m))) if m.contains("110108") && m.contains("110105"))
    );
    let foreign = manifest("chaoyang-heating", "1.0.0", "110105", &[Hook::Routing], bytes, &w.haidian_key);
    assert!(
        matches!(w.registry.upload(&w.chaoyang, &foreign, bytes, &w.host), Err(RegistryError::Key(m)) if m.contains("does not verify"))
    );
    let mut tampered = bytes.to_vec();
    tampered.push(0);
    assert!(
        matches!(w.registry.upload(&w.chaoyang, &good, &tampered, &w.host), Err(RegistryError::Manifest(m)) if m.starts_with("sha256"))
    );
    let mut edited = good.clone();
    edited.limits.fuel *= 10;
    assert!(
        matches!(w.registry.upload(&w.chaoyang, &edited, bytes, &w.host), Err(RegistryError::Key(_))),
        "a field changed after signing"
    );
    let wrong_hooks = manifest("chaoyang-heating", "1.0.0", "110105", &[Hook::Validation], bytes, &w.chaoyang_key);
    assert!(
        matches!(w.registry.upload(&w.chaoyang, &wrong_hooks, bytes, &w.host), Err(RegistryError::Manifest(m)) if m.starts_with("hooks"))
    );
    let bad_name = manifest("Chaoyang Heating", "1.0.0", "110105", &[Hook::Routing], bytes, &w.chaoyang_key);
    assert!(
        matches!(w.registry.upload(&w.chaoyang, &bad_name, bytes, &w.host), Err(RegistryError::Manifest(m)) if m.starts_with("name"))
    );
    let not_a_plugin = minyi_artifacts::VALIDATOR_BYTES;
    let m = manifest("validator", "1.0.0", "110105", &[Hook::Validation], not_a_plugin, &w.chaoyang_key);
    assert!(matches!(w.registry.upload(&w.chaoyang, &m, not_a_plugin, &w.host), Err(RegistryError::Component(_))));

    w.registry.upload(&w.chaoyang, &good, bytes, &w.host).expect("uploads");
    assert!(matches!(w.registry.upload(&w.chaoyang, &good, bytes, &w.host), Err(RegistryError::Conflict(_))));
    assert!(matches!(
        w.registry.activate(&w.haidian, "110105", "chaoyang-heating", "1.0.0"),
        Err(RegistryError::Auth(AuthError::Forbidden(_)))
    ));
    assert!(matches!(w.registry.list(&w.haidian, "110105"), Err(RegistryError::Auth(AuthError::Forbidden(_)))));
    assert!(matches!(
        w.registry.activate(&w.chaoyang, "110105", "chaoyang-heating", "9.9.9"),
        Err(RegistryError::NotFound(_))
    ));
    // The city admin may act anywhere.
    w.registry.activate(&w.city, "110105", "chaoyang-heating", "1.0.0").expect("city admin activates");
}

fn two_hosts_on_one_database_and_the_precompiled_cache(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let bytes = plugin("haidian_building");
    let m = manifest("haidian-building", "1.0.0", "110108", &[Hook::Validation], bytes, &w.haidian_key);
    w.registry.upload(&w.haidian, &m, bytes, &w.host).expect("uploads");
    w.registry.activate(&w.haidian, "110108", "haidian-building", "1.0.0").expect("activates");

    // A second host process: its own engine, its own connection to the same database file.
    let other = PluginHost::new(PluginHostConfig::default()).expect("host");
    let other_registry = Registry::open_url(&w.db).expect("opens").with_precompiled_key(CACHE_KEY).expect("a key");
    assert_eq!(other.engine_key(), w.host.engine_key(), "same configuration, same cache key");
    let started = Instant::now();
    other_registry.sync(&other).expect("syncs");
    let from_cache = started.elapsed();
    let started = Instant::now();
    let compiled = other.compile(bytes).expect("compiles");
    let compile = started.elapsed();
    eprintln!(
        "load from the precompiled cache: {:.2} ms; compile from bytes: {:.2} ms",
        from_cache.as_secs_f64() * 1e3,
        compile.as_secs_f64() * 1e3
    );
    assert_eq!(other.status("110108").expect("loaded").sha256, compiled.sha256());

    let mut f = heating_form("110108");
    f.category = Some("housing.property.fees".into());
    assert_eq!(other.extra_issues("110108", None, &f).value[0].code, "building_no.required");
    w.registry.sync(&w.host).expect("syncs");
    assert_eq!(w.host.extra_issues("110108", None, &f).value[0].code, "building_no.required");

    // Whoever can write the database cannot make a node run native code of their choice: the cached
    // code of 海淀's plugin swapped for 朝阳's fails its MAC, and a new node compiles 海淀's component.
    let heating = plugin("chaoyang_heating");
    let m = manifest("chaoyang-heating", "1.0.0", "110105", &[Hook::Routing], heating, &w.chaoyang_key);
    w.registry.upload(&w.chaoyang, &m, heating, &w.host).expect("uploads");
    let raw = minyi_db::Db::open_url(&w.db, "").expect("a raw connection");
    let swapped = raw
        .run(|c| {
            c.execute(
                "UPDATE precompiled_macs SET cwasm = (SELECT cwasm FROM precompiled_macs WHERE sha256 = $1) \
                 WHERE sha256 = $2",
                minyi_db::params![hex::encode(Sha256::digest(heating)), compiled.sha256()],
            )
        })
        .expect("tampers");
    assert_eq!(swapped, 1);
    let third = PluginHost::new(PluginHostConfig::default()).expect("host");
    let third_registry = Registry::open_url(&w.db).expect("opens").with_precompiled_key(CACHE_KEY).expect("a key");
    third_registry.sync(&third).expect("syncs");
    assert_eq!(third.status("110108").expect("loaded").sha256, compiled.sha256());
    assert_eq!(third.extra_issues("110108", None, &f).value[0].code, "building_no.required", "海淀's own code runs");
    // A node without the key never reads the cache, and compiles for itself.
    let keyless = PluginHost::new(PluginHostConfig::default()).expect("host");
    Registry::open_url(&w.db).expect("opens").sync(&keyless).expect("syncs");
    assert_eq!(keyless.extra_issues("110108", None, &f).value[0].code, "building_no.required");
    assert!(
        Registry::open_url(&w.db).expect("opens").with_precompiled_key("short").is_err(),
        "a key of 16+ characters"
    );

    // A change made through one host's registry reaches the other on its next sync.
    w.registry.disable(&w.haidian, "110108", "maintenance").expect("disables");
    assert_eq!(other_registry.sync(&other).expect("syncs"), vec!["110108".to_owned()]);
    assert_eq!(other.status("110108").and_then(|s| s.disabled).as_deref(), Some("maintenance"));
}

fn faults_and_breaker_trips_are_written_down_for_every_host(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let bytes = plugin("hostile");
    let mut m = manifest(
        "hostile",
        "1.0.0",
        "110108",
        &[Hook::Validation, Hook::Routing, Hook::Scoring],
        bytes,
        &w.haidian_key,
    );
    m.config.insert("mode".into(), "trap".into());
    signing::sign(&mut m, &w.haidian_key).expect("signs");
    w.registry.upload(&w.haidian, &m, bytes, &w.host).expect("uploads");
    w.registry.activate(&w.haidian, "110108", "hostile", "1.0.0").expect("activates");
    // Two hosts on the database; the first trips its breaker (5 faults, the default policy).
    let other = PluginHost::new(PluginHostConfig::default()).expect("host");
    let other_registry = Registry::open_url(&w.db).expect("opens");
    w.registry.sync(&w.host).expect("syncs");
    other_registry.sync(&other).expect("syncs");
    let mut f = heating_form("110108");
    f.category = Some("housing.property.fees".into());
    for i in 0..5 {
        let out = w.host.extra_issues("110108", Some(&format!("BJ-20261129-00000{i}")), &f);
        assert_eq!(out.fault.as_ref().map(PluginFault::kind), Some("trap"), "{out:?}");
    }
    assert!(other.status("110108").and_then(|s| s.disabled).is_none(), "the other host has not heard yet");
    w.registry.sync(&w.host).expect("writes the faults and the trip down");

    // Every fault is stored with its case; the trip disabled the version in the database.
    let stored = w.registry.faults(&w.haidian, "110108", 100).expect("lists faults");
    assert_eq!(stored.len(), 5);
    assert!(stored.iter().all(|f| f.kind == "trap" && f.plugin == "hostile" && f.hook == "validation"));
    assert_eq!(stored[0].case_id.as_deref(), Some("BJ-20261129-000004"), "newest first");
    let case = w.registry.case_faults(&w.city, "BJ-20261129-000002").expect("one case's faults");
    assert_eq!(case.len(), 1);
    assert!(case[0].message.starts_with("trapped"), "{}", case[0].message);
    assert!(matches!(w.registry.faults(&w.chaoyang, "110108", 10), Err(RegistryError::Auth(AuthError::Forbidden(_)))));
    assert!(matches!(
        w.registry.case_faults(&w.chaoyang, "BJ-20261129-000002"),
        Err(RegistryError::Auth(AuthError::Forbidden(_)))
    ));
    let listed = w.registry.list(&w.haidian, "110108").expect("lists");
    let reason = listed.iter().find(|r| r.active).and_then(|r| r.disabled.clone()).expect("disabled in the database");
    assert!(reason.contains("circuit breaker") && reason.contains("5 faults"), "{reason}");

    // The other host picks the trip up on its next sync and stops calling the plugin.
    assert_eq!(other_registry.sync(&other).expect("syncs"), vec!["110108".to_owned()]);
    assert_eq!(other.status("110108").and_then(|s| s.disabled).as_deref(), Some(reason.as_str()));
    let out = other.extra_issues("110108", Some("BJ-X"), &f);
    assert!(matches!(out.fault, Some(PluginFault::Disabled { .. })), "{out:?}");
    assert_eq!(other.status("110108").expect("loaded").calls, 0, "never called on the other host");
    // Activating a version again clears it everywhere.
    w.registry.activate(&w.haidian, "110108", "hostile", "1.0.0").expect("activates");
    other_registry.sync(&other).expect("syncs");
    assert!(other.status("110108").and_then(|s| s.disabled).is_none());
}

fn a_district_that_cannot_run_here_stops_no_other(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let heating = plugin("chaoyang_heating");
    let signed = |version: &str, fuel: u64| {
        let mut m = manifest("chaoyang-heating", version, "110105", &[Hook::Routing], heating, &w.chaoyang_key);
        m.limits.fuel = fuel;
        signing::sign(&mut m, &w.chaoyang_key).expect("signs");
        m
    };
    // Limits no host grants are refused at upload, naming the limit.
    let greedy = signed("1.0.0", 1_000_000_000_000);
    match w.registry.upload(&w.chaoyang, &greedy, heating, &w.host) {
        Err(RegistryError::Manifest(m)) => assert!(m.starts_with("limits.fuel: 1000000000000 is over"), "{m}"),
        other => panic!("expected the limits refused, got {other:?}"),
    }
    // Within the default maximum, but not within a smaller host's.
    w.registry.upload(&w.chaoyang, &signed("1.1.0", 1_500_000_000), heating, &w.host).expect("uploads");
    w.registry.activate(&w.chaoyang, "110105", "chaoyang-heating", "1.1.0").expect("activates");
    let building = plugin("haidian_building");
    let m = manifest("haidian-building", "1.0.0", "110108", &[Hook::Validation], building, &w.haidian_key);
    w.registry.upload(&w.haidian, &m, building, &w.host).expect("uploads");
    w.registry.activate(&w.haidian, "110108", "haidian-building", "1.0.0").expect("activates");

    let defaults = PluginHostConfig::default();
    let small = PluginHost::new(PluginHostConfig {
        max_limits: PluginLimits { fuel: 1_000_000_000, ..defaults.max_limits },
        ..defaults
    })
    .expect("host");
    let registry = Registry::open_url(&w.db).expect("opens");
    let changed = registry.sync(&small).expect("one district's version that cannot run is not the sync's failure");
    assert!(changed.contains(&"110108".to_owned()) && changed.contains(&"110105".to_owned()), "{changed:?}");
    assert!(small.status("110108").is_some(), "the other district runs its plugin");
    assert!(small.status("110105").is_none(), "the district whose version cannot run here runs none");
    assert!(registry.sync(&small).expect("syncs").is_empty(), "not retried until the district changes");
    // A host that can run it runs both.
    w.registry.sync(&w.host).expect("syncs");
    assert!(w.host.status("110105").is_some() && w.host.status("110108").is_some());
}
