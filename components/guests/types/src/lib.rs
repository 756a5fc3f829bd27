//! One-to-one conversions between a guest's generated WIT records and `minyi-model`, written once.
//!
//! wit-bindgen always generates an exported interface's types inside the exporting crate (the
//! component worlds *export* `types`, so components import nothing), so each guest has its own copy
//! of the types. `conversions!()` expands the same field mapping into each guest: invoke it at the
//! crate root next to `use exports::minyi::casework::types as wit;`. No logic lives here.
pub use minyi_model as model;

/// Maps a WIT enum to the model enum with the same variants, both ways.
#[macro_export]
macro_rules! enum_map {
    ($wit:ty, $model:ty, $($v:ident),+ $(,)?) => {
        impl From<$wit> for $model {
            fn from(v: $wit) -> Self {
                match v { $(<$wit>::$v => <$model>::$v,)+ }
            }
        }
        impl From<$model> for $wit {
            fn from(v: $model) -> Self {
                match v { $(<$model>::$v => <$wit>::$v,)+ }
            }
        }
    };
}

/// Expands the conversions for the guest's `wit` types module (see the crate docs).
#[macro_export]
macro_rules! conversions {
    () => {
        /// Field-by-field conversions between the generated WIT records and `minyi_model` types.
        mod convert {
            use super::wit;
            use $crate::model as m;

            $crate::enum_map!(wit::Channel, m::Channel, Hotline, Web, App, Wechat, Open311, Other);
            $crate::enum_map!(wit::Kind, m::Kind, Consult, Help, Complaint, Report, Suggestion, Praise);
            $crate::enum_map!(wit::Severity, m::Severity, Error, Warning);
            $crate::enum_map!(wit::SlaTier, m::SlaTier, Emergency, Urgent, General, Complex, Consult);
            $crate::enum_map!(wit::UnitType, m::UnitType, Street, Department);
            $crate::enum_map!(wit::Satisfaction, m::Satisfaction, Satisfied, BasicallySatisfied, Dissatisfied);
            $crate::enum_map!(wit::ExclusionReason, m::ExclusionReason, Invalid, Unreasonable);

            impl From<wit::CaseForm> for m::CaseForm {
                fn from(f: wit::CaseForm) -> Self {
                    m::CaseForm {
                        district: f.district,
                        street: f.street,
                        channel: f.channel.into(),
                        kind: f.kind.into(),
                        category: f.category,
                        title: f.title,
                        description: f.description,
                        address: f.address,
                        location: f.location.map(|l| m::Location { lat: l.lat, lon: l.lon }),
                        reporter: f.reporter.map(|r| m::Reporter {
                            name: r.name,
                            phone: r.phone,
                            id_number: r.id_number,
                            email: r.email,
                            anonymous: r.anonymous,
                        }),
                        attributes: f.attributes.into_iter().map(|a| (a.key, a.value)).collect(),
                        attachments: f
                            .attachments
                            .into_iter()
                            .map(|a| m::Attachment { name: a.name, mime: a.mime, bytes: a.bytes })
                            .collect(),
                        consent: f.consent,
                        received_at: f.received_at,
                    }
                }
            }

            impl From<m::CaseForm> for wit::CaseForm {
                fn from(f: m::CaseForm) -> Self {
                    wit::CaseForm {
                        district: f.district,
                        street: f.street,
                        channel: f.channel.into(),
                        kind: f.kind.into(),
                        category: f.category,
                        title: f.title,
                        description: f.description,
                        address: f.address,
                        location: f.location.map(|l| wit::Location { lat: l.lat, lon: l.lon }),
                        reporter: f.reporter.map(|r| wit::Reporter {
                            name: r.name,
                            phone: r.phone,
                            id_number: r.id_number,
                            email: r.email,
                            anonymous: r.anonymous,
                        }),
                        attributes: f
                            .attributes
                            .into_iter()
                            .map(|(key, value)| wit::Attribute { key, value })
                            .collect(),
                        attachments: f
                            .attachments
                            .into_iter()
                            .map(|a| wit::Attachment { name: a.name, mime: a.mime, bytes: a.bytes })
                            .collect(),
                        consent: f.consent,
                        received_at: f.received_at,
                    }
                }
            }

            fn message(msg: m::Message) -> wit::Message {
                wit::Message { zh_cn: msg.zh_cn, en: msg.en }
            }

            impl From<m::Issue> for wit::Issue {
                fn from(i: m::Issue) -> Self {
                    wit::Issue {
                        field: i.field,
                        code: i.code,
                        severity: i.severity.into(),
                        message: message(i.message),
                    }
                }
            }

            impl From<m::ValidationResult> for wit::ValidationResult {
                fn from(r: m::ValidationResult) -> Self {
                    wit::ValidationResult {
                        valid: r.valid,
                        issues: r.issues.into_iter().map(Into::into).collect(),
                        normalized: r.normalized.into(),
                        masked: wit::MaskedText { title: r.masked.title, description: r.masked.description },
                        redirect: r.redirect.map(|d| wit::Redirect { to: d.to, message: message(d.message) }),
                        fingerprint: r.fingerprint,
                    }
                }
            }

            impl From<m::RoutingDecision> for wit::RoutingDecision {
                fn from(d: m::RoutingDecision) -> Self {
                    wit::RoutingDecision {
                        lead: d.lead,
                        co_handlers: d.co_handlers,
                        tier: d.tier.into(),
                        deadline: d.deadline,
                        priority: d.priority,
                        tags: d.tags,
                        escalate: d.escalate,
                        manual: d.manual,
                        explanation: wit::Explanation {
                            fired: d
                                .explanation
                                .fired
                                .into_iter()
                                .map(|f| wit::FiredRule { rule: f.rule, why: f.why })
                                .collect(),
                            near_misses: d
                                .explanation
                                .near_misses
                                .into_iter()
                                .map(|n| wit::NearMiss { rule: n.rule, failed: n.failed })
                                .collect(),
                        },
                    }
                }
            }

            impl From<m::RuleError> for wit::RuleError {
                fn from(e: m::RuleError) -> Self {
                    wit::RuleError { line: e.line, column: e.column, message: e.message, severity: e.severity.into() }
                }
            }

            impl From<wit::CaseContext> for m::CaseContext {
                fn from(c: wit::CaseContext) -> Self {
                    m::CaseContext { repeat_count: c.repeat_count, suggestion: None }
                }
            }

            impl From<m::ExampleOutcome> for wit::ExampleOutcome {
                fn from(o: m::ExampleOutcome) -> Self {
                    wit::ExampleOutcome {
                        name: o.name,
                        line: o.line,
                        passed: o.passed,
                        mismatches: o.mismatches,
                        decision: o.decision.into(),
                    }
                }
            }

            impl From<wit::Callback> for m::Callback {
                fn from(c: wit::Callback) -> Self {
                    m::Callback {
                        case_id: c.case_id,
                        unit: c.unit,
                        unit_type: c.unit_type.into(),
                        responded: c.responded,
                        resolved: c.resolved,
                        satisfaction: c.satisfaction.into(),
                        exclusion: c.exclusion.map(|e| m::Exclusion {
                            reason: e.reason.into(),
                            reviewer: e.reviewer,
                            note: e.note,
                        }),
                    }
                }
            }

            impl From<wit::ScoreConfig> for m::ScoreConfig {
                fn from(c: wit::ScoreConfig) -> Self {
                    m::ScoreConfig {
                        response_weight: c.response_weight,
                        resolution_weight: c.resolution_weight,
                        satisfaction_weight: c.satisfaction_weight,
                        basically_satisfied_factor: c.basically_satisfied_factor,
                        min_valid_callbacks: c.min_valid_callbacks,
                        response_hours: c.response_hours.into(),
                        reply_hours: c.reply_hours.into(),
                    }
                }
            }

            impl From<wit::TierHours> for m::TierHours {
                fn from(h: wit::TierHours) -> Self {
                    m::TierHours {
                        emergency: h.emergency,
                        urgent: h.urgent,
                        general: h.general,
                        complex: h.complex,
                        consult: h.consult,
                    }
                }
            }

            impl From<m::TierHours> for wit::TierHours {
                fn from(h: m::TierHours) -> Self {
                    wit::TierHours {
                        emergency: h.emergency,
                        urgent: h.urgent,
                        general: h.general,
                        complex: h.complex,
                        consult: h.consult,
                    }
                }
            }

            impl From<m::ScoreConfig> for wit::ScoreConfig {
                fn from(c: m::ScoreConfig) -> Self {
                    wit::ScoreConfig {
                        response_weight: c.response_weight,
                        resolution_weight: c.resolution_weight,
                        satisfaction_weight: c.satisfaction_weight,
                        basically_satisfied_factor: c.basically_satisfied_factor,
                        min_valid_callbacks: c.min_valid_callbacks,
                        response_hours: c.response_hours.into(),
                        reply_hours: c.reply_hours.into(),
                    }
                }
            }

            impl From<m::UnitScore> for wit::UnitScore {
                fn from(s: m::UnitScore) -> Self {
                    wit::UnitScore {
                        unit: s.unit,
                        unit_type: s.unit_type.into(),
                        valid: s.valid,
                        excluded: s.excluded,
                        responded: s.responded,
                        resolved: s.resolved,
                        satisfied: s.satisfied,
                        basically_satisfied: s.basically_satisfied,
                        dissatisfied: s.dissatisfied,
                        response_rate: s.response_rate,
                        resolution_rate: s.resolution_rate,
                        satisfaction_rate: s.satisfaction_rate,
                        composite: s.composite,
                        rank: s.rank,
                        cases: s.cases,
                        replied: s.replied,
                        replied_on_time: s.replied_on_time,
                        on_time_rate: s.on_time_rate,
                        trend: s.trend.map(|t| wit::UnitTrend {
                            previous_composite: t.previous_composite,
                            previous_rank: t.previous_rank,
                            composite_change: t.composite_change,
                            rank_change: t.rank_change,
                        }),
                    }
                }
            }

            /// An input error in the WIT shape.
            pub fn input_error(code: &str, message: String) -> wit::InputError {
                wit::InputError { code: code.to_owned(), message }
            }
        }
    };
}
