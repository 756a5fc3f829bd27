//! What both benches share: a model case form as the WIT record the runtime takes, field for field.

use minyi_runtime::bindings::types as wit;

pub fn wit_form(f: &minyi_model::CaseForm) -> wit::CaseForm {
    use minyi_model::{Channel, Kind};
    wit::CaseForm {
        district: f.district.clone(),
        street: f.street.clone(),
        channel: match f.channel {
            Channel::Hotline => wit::Channel::Hotline,
            Channel::Web => wit::Channel::Web,
            Channel::App => wit::Channel::App,
            Channel::Wechat => wit::Channel::Wechat,
            Channel::Open311 => wit::Channel::Open311,
            Channel::Other => wit::Channel::Other,
        },
        kind: match f.kind {
            Kind::Consult => wit::Kind::Consult,
            Kind::Help => wit::Kind::Help,
            Kind::Complaint => wit::Kind::Complaint,
            Kind::Report => wit::Kind::Report,
            Kind::Suggestion => wit::Kind::Suggestion,
            Kind::Praise => wit::Kind::Praise,
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
        attributes: vec![],
        attachments: vec![],
        consent: f.consent,
        received_at: f.received_at.clone(),
    }
}
