//! Field-for-field conversions between `minyi-model` (the public JSON shapes) and the WIT records the
//! runtime passes, for hosts that hold JSON and call typed exports or plugin hooks. No logic here.

use crate::bindings::types as wit;
use minyi_model as m;

/// A case form as the WIT record.
pub fn case_form(f: &m::CaseForm) -> wit::CaseForm {
    wit::CaseForm {
        district: f.district.clone(),
        street: f.street.clone(),
        channel: match f.channel {
            m::Channel::Hotline => wit::Channel::Hotline,
            m::Channel::Web => wit::Channel::Web,
            m::Channel::App => wit::Channel::App,
            m::Channel::Wechat => wit::Channel::Wechat,
            m::Channel::Open311 => wit::Channel::Open311,
            m::Channel::Other => wit::Channel::Other,
        },
        kind: match f.kind {
            m::Kind::Consult => wit::Kind::Consult,
            m::Kind::Help => wit::Kind::Help,
            m::Kind::Complaint => wit::Kind::Complaint,
            m::Kind::Report => wit::Kind::Report,
            m::Kind::Suggestion => wit::Kind::Suggestion,
            m::Kind::Praise => wit::Kind::Praise,
        },
        category: f.category.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        address: f.address.clone(),
        location: f.location.map(|l| wit::Location { lat: l.lat, lon: l.lon }),
        reporter: f.reporter.as_ref().map(|r| wit::Reporter {
            name: r.name.clone(),
            phone: r.phone.clone(),
            id_number: r.id_number.clone(),
            email: r.email.clone(),
            anonymous: r.anonymous,
        }),
        attributes: f.attributes.iter().map(|(k, v)| wit::Attribute { key: k.clone(), value: v.clone() }).collect(),
        attachments: f
            .attachments
            .iter()
            .map(|a| wit::Attachment { name: a.name.clone(), mime: a.mime.clone(), bytes: a.bytes })
            .collect(),
        consent: f.consent,
        received_at: f.received_at.clone(),
    }
}

fn tier_to_model(t: wit::SlaTier) -> m::SlaTier {
    match t {
        wit::SlaTier::Emergency => m::SlaTier::Emergency,
        wit::SlaTier::Urgent => m::SlaTier::Urgent,
        wit::SlaTier::General => m::SlaTier::General,
        wit::SlaTier::Complex => m::SlaTier::Complex,
        wit::SlaTier::Consult => m::SlaTier::Consult,
    }
}

fn tier_to_wit(t: m::SlaTier) -> wit::SlaTier {
    match t {
        m::SlaTier::Emergency => wit::SlaTier::Emergency,
        m::SlaTier::Urgent => wit::SlaTier::Urgent,
        m::SlaTier::General => wit::SlaTier::General,
        m::SlaTier::Complex => wit::SlaTier::Complex,
        m::SlaTier::Consult => wit::SlaTier::Consult,
    }
}

/// A routing decision from the WIT record.
pub fn decision_to_model(d: &wit::RoutingDecision) -> m::RoutingDecision {
    m::RoutingDecision {
        lead: d.lead.clone(),
        co_handlers: d.co_handlers.clone(),
        tier: tier_to_model(d.tier),
        deadline: d.deadline.clone(),
        priority: d.priority,
        tags: d.tags.clone(),
        escalate: d.escalate.clone(),
        manual: d.manual,
        explanation: m::Explanation {
            fired: d
                .explanation
                .fired
                .iter()
                .map(|f| m::FiredRule { rule: f.rule.clone(), why: f.why.clone() })
                .collect(),
            near_misses: d
                .explanation
                .near_misses
                .iter()
                .map(|n| m::NearMiss { rule: n.rule.clone(), failed: n.failed.clone() })
                .collect(),
            // The WIT record has no place for it: the JSON interface carries it.
            not_tried: Vec::new(),
        },
        warnings: Vec::new(),
    }
}

/// A routing decision as the WIT record.
pub fn decision_to_wit(d: &m::RoutingDecision) -> wit::RoutingDecision {
    wit::RoutingDecision {
        lead: d.lead.clone(),
        co_handlers: d.co_handlers.clone(),
        tier: tier_to_wit(d.tier),
        deadline: d.deadline.clone(),
        priority: d.priority,
        tags: d.tags.clone(),
        escalate: d.escalate.clone(),
        manual: d.manual,
        explanation: wit::Explanation {
            fired: d
                .explanation
                .fired
                .iter()
                .map(|f| wit::FiredRule { rule: f.rule.clone(), why: f.why.clone() })
                .collect(),
            near_misses: d
                .explanation
                .near_misses
                .iter()
                .map(|n| wit::NearMiss { rule: n.rule.clone(), failed: n.failed.clone() })
                .collect(),
        },
    }
}

/// An issue from the WIT record.
pub fn issue_to_model(i: &wit::Issue) -> m::Issue {
    m::Issue {
        field: i.field.clone(),
        code: i.code.clone(),
        severity: match i.severity {
            wit::Severity::Error => m::Severity::Error,
            wit::Severity::Warning => m::Severity::Warning,
        },
        message: m::Message { zh_cn: i.message.zh_cn.clone(), en: i.message.en.clone() },
    }
}
