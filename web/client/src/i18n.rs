//! The page's two languages: every text the widget and the console draw is given in zh-CN and en, and the citizen's
//! choice picks one (component messages carry both already).

use minyi_model::{CaseState, Kind, Message, Satisfaction, divisions};

/// A language of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `lang="en"` (or `en-…`) is English; anything else Chinese, the hotline's language.
    pub fn parse(tag: &str) -> Lang {
        if tag.eq_ignore_ascii_case("en") || tag.to_ascii_lowercase().starts_with("en-") { Lang::En } else { Lang::Zh }
    }

    /// The BCP 47 tag, for `lang` attributes.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other one (the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// One text of the two.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A component's bilingual message in this language.
    pub fn message(self, m: &Message) -> String {
        self.pick(&m.zh_cn, &m.en).to_owned()
    }
}

/// The six kinds of demand, in the order the hotline lists them.
pub const KINDS: [Kind; 6] = [Kind::Complaint, Kind::Help, Kind::Consult, Kind::Report, Kind::Suggestion, Kind::Praise];

/// A kind's name and its value in the form.
pub fn kind(lang: Lang, k: Kind) -> (&'static str, &'static str) {
    let (zh, en, value) = match k {
        Kind::Consult => ("咨询", "Enquiry", "consult"),
        Kind::Help => ("求助", "Request for help", "help"),
        Kind::Complaint => ("投诉", "Complaint", "complaint"),
        Kind::Report => ("举报", "Report of wrongdoing", "report"),
        Kind::Suggestion => ("建议", "Suggestion", "suggestion"),
        Kind::Praise => ("表扬", "Praise", "praise"),
    };
    (lang.pick(zh, en), value)
}

/// Where a case stands, as the citizen reads it.
pub fn state(lang: Lang, s: CaseState) -> &'static str {
    let (zh, en) = match s {
        CaseState::Received => ("已收到", "Received"),
        CaseState::Accepted => ("已受理", "Accepted"),
        CaseState::Rejected => ("未受理", "Not accepted"),
        CaseState::PendingManual => ("等待人工派单", "Waiting for an operator to assign it"),
        CaseState::Dispatched => ("已派单，等待承办单位处理", "Sent to the unit responsible"),
        CaseState::InProgress => ("办理中", "Being handled"),
        CaseState::Returned => ("承办单位退回，重新派单中", "Returned by the unit; being reassigned"),
        CaseState::Replied => ("承办单位已答复，请您评价", "The unit has replied: please tell us how it went"),
        CaseState::Callback => ("已回访", "Callback answered"),
        CaseState::Closed => ("已办结", "Closed"),
        CaseState::Reopened => ("已重新办理", "Reopened"),
    };
    lang.pick(zh, en)
}

/// A step of the timeline (an event type of the public `CaseEvent` shape).
pub fn step(lang: Lang, kind: &str) -> String {
    let (zh, en) = match kind {
        "received" => ("收到诉求", "Demand received"),
        "category_suggested" => ("智能分类建议", "Category suggested"),
        "accepted" => ("受理", "Accepted"),
        "rejected" => ("未受理", "Not accepted"),
        "pending_manual" => ("转人工派单", "Passed to an operator"),
        "dispatched" => ("派单", "Dispatched"),
        "first_contact" => ("承办单位联系您", "The unit contacted you"),
        "in_progress" => ("开始办理", "Work started"),
        "returned" => ("退单", "Returned"),
        "ruling" => ("审定", "Ruling"),
        "extension_requested" => ("申请延期", "Extension requested"),
        "extension_approved" => ("同意延期", "Extension approved"),
        "extension_denied" => ("不同意延期", "Extension refused"),
        "replied" => ("答复", "Replied"),
        "callback" => ("回访", "Callback"),
        "closed" => ("办结", "Closed"),
        "reopened" => ("重新办理", "Reopened"),
        "warning" => ("临近时限提醒", "Deadline near"),
        "overdue" => ("超时督办", "Overdue: supervised"),
        "excluded" | "exclusion_revoked" => ("考核审核", "Assessment review"),
        "acknowledged" => ("协办单位确认", "Co-handler acknowledged"),
        other => return other.to_owned(),
    };
    lang.pick(zh, en).to_owned()
}

/// The three answers of the satisfaction question.
pub const SATISFACTION: [Satisfaction; 3] =
    [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied];

/// A satisfaction answer's text and its value in the callback.
pub fn satisfaction(lang: Lang, s: Satisfaction) -> (&'static str, &'static str) {
    let (zh, en, value) = match s {
        Satisfaction::Satisfied => ("满意", "Satisfied", "satisfied"),
        Satisfaction::BasicallySatisfied => ("基本满意", "Basically satisfied", "basically_satisfied"),
        Satisfaction::Dissatisfied => ("不满意", "Dissatisfied", "dissatisfied"),
    };
    (lang.pick(zh, en), value)
}

/// A unit code as the citizen reads it: the street's or district's name when it is one.
pub fn unit_name(code: &str) -> String {
    match (divisions::street(code), divisions::district(code)) {
        (Some((d, s)), _) => format!("{}{}", d.name, s.name),
        (None, Some(d)) => d.name.to_owned(),
        (None, None) => code.to_owned(),
    }
}

/// `2026-12-03T18:00:00+08:00` as `2026-12-03 18:00`.
pub fn minutes(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}
