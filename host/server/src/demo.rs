//! Demo casework: months of generated Beijing demands taken through the service's own handlers — intake,
//! the units' and districts' actions, the citizens' callbacks, the time-limit sweep — on a clock that
//! walks through those months, so a fresh database holds casework that is true to the service: every
//! state, rate and ranking in it was produced by the same code a real day would run.

use crate::{AppState, app};
use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, Duration, FixedOffset, Timelike as _};
use minyi_auth::{Admins, NewToken, Role, Staff};
use minyi_cases::Filter;
use minyi_model::divisions;
use minyi_model::rng::Rng;
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use tower::ServiceExt as _;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How many months of casework, ending at `end`.
    pub months: u32,
    /// Demands filed on an ordinary day (weekends get fewer).
    pub per_day: u32,
    /// The same seed gives the same demands and the same lives.
    pub seed: u64,
    /// Where the clock stops: cases whose next step would come later stay open there.
    pub end: DateTime<FixedOffset>,
}

/// What the demo wrote, counted as it went.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Filled {
    /// Demands filed.
    pub cases: u32,
    /// Of them, dispatched by intake.
    pub dispatched: u32,
    /// Returned (退单) by the unit, ruled on and dispatched again by the district.
    pub returned: u32,
    /// Extensions requested and approved.
    pub extended: u32,
    /// Replies written by the units.
    pub replied: u32,
    /// Callbacks (回访) the citizens answered.
    pub callbacks: u32,
    /// Cases the districts closed.
    pub closed: u32,
    /// `warning` events the sweep wrote (80 % of the time limit gone).
    pub warnings: u32,
    /// `overdue` events the sweep wrote.
    pub overdue: u32,
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database already holds cases: the demo fills only a fresh one.
    #[error("the database already holds cases; the demo fills only a fresh database")]
    NotFresh,
    /// The service has no case store or no token store.
    #[error("the service runs without {0}")]
    Missing(&'static str),
    /// A store failed.
    #[error("{0}")]
    Store(String),
    /// A handler refused a step the demo planned as legal: a bug in the plan or the state machine.
    #[error("{step} on {case}: HTTP {status}: {answer}")]
    Refused {
        /// The step.
        step: String,
        /// The case.
        case: String,
        /// The answer's status.
        status: u16,
        /// The answer.
        answer: String,
    },
}

/// A demand's title and description, per category leaf: what citizens write.
const DEMANDS: &[(&str, &str, &str)] = &[
    ("urban.sanitation.garbage", "垃圾没人清运", "小区门口的垃圾桶已经满了三天，一直没人清运，气味很大。"),
    ("urban.construction.night_work", "夜间施工扰民", "附近工地每天晚上十一点以后还在施工，噪音很大，影响休息。"),
    ("urban.roads.street_lights", "路灯不亮", "小区东侧道路的路灯已经坏了一周，晚上出行很不方便。"),
    ("urban.roads.potholes", "路面坑洼", "路口的路面有一个大坑，下雨后积水，电动车经过很危险。"),
    ("urban.community.elevators", "电梯经常故障", "我们楼的电梯这个月已经坏了三次，老人上下楼很困难。"),
    ("urban.community.parking", "小区停车难", "小区车位被外来车辆长期占用，业主没有地方停车。"),
    ("housing.property.service", "物业不作为", "楼道灯坏了很久，多次找物业都没有人来修。"),
    ("housing.property.leaks", "房屋漏水", "楼上卫生间漏水，我家天花板已经发霉，协商不成。"),
    ("utilities.heating.low_temperature", "暖气不热", "家里暖气从前天开始不热，室温只有十四度。"),
    ("utilities.water.outage", "突然停水", "今天早上开始停水，没有任何通知，到现在还没有来水。"),
    ("utilities.drainage.sewer_blockage", "下水道堵塞", "楼下的下水道堵了，污水漫到路面上。"),
    ("environment.noise.square_dancing", "广场舞噪声", "每天晚上广场舞音响声音太大，一直到九点半。"),
    ("environment.air.cooking_fumes", "餐饮油烟", "楼下饭馆的油烟直接排到居民楼，窗户都不能开。"),
    ("environment.animals.dogs", "遛狗不拴绳", "小区里经常有人遛狗不拴绳，孩子被吓到好几次。"),
    ("transport.parking.illegal", "违章停车", "小区门口的消防通道经常有车辆违停，堵住出入口。"),
    ("transport.parking.shared_bikes", "共享单车乱停", "地铁站出口的共享单车堆成一片，行人无法通行。"),
    ("labor.wages.arrears", "拖欠工资", "我在一家装修公司工作，老板已经拖欠两个月工资。"),
    ("market.consumer.prepaid_cards", "预付卡退费难", "健身房突然关门，办的预付卡还有两千多元没有退。"),
    ("health.elderly.meals", "老年餐桌", "社区的老年餐桌停了，希望能恢复，老人吃饭不方便。"),
    ("education.preschool.kindergarten", "幼儿园入园", "想咨询附近普惠性幼儿园的入园条件和报名时间。"),
];

/// What the units write back.
const REPLIES: &[&str] = &[
    "已联系诉求人并现场核实，问题已处理完毕。",
    "已协调相关单位处理，诉求人表示认可。",
    "已安排人员整改，后续将加强巡查。",
    "经核实情况属实，已督促责任单位限期整改。",
];

/// A step of the demo, due at a time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// The time-limit sweep, as `minyi serve` runs it every minute.
    Sweep,
    /// Demand number `n` is filed.
    File(u32),
    /// A staff member writes an event on a case.
    Act { case: usize, by: By, event: String },
    /// The citizen answers the callback.
    Callback { case: usize, body: String },
}

/// Who writes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum By {
    /// The lead unit's operator.
    Unit,
    /// The district's admin.
    District,
}

/// A filed case as the demo follows it.
struct Case {
    id: String,
    tracking: String,
    unit: String,
    district: String,
    deadline: Option<DateTime<FixedOffset>>,
}

/// The demo's walk: the service, its clock, the steps to come and the tokens of those who act.
struct Walk<'a> {
    state: AppState,
    admins: &'a Admins,
    city: &'a Staff,
    rng: Rng,
    queue: BinaryHeap<Reverse<(DateTime<FixedOffset>, u64, Step)>>,
    seq: u64,
    cases: Vec<Case>,
    tokens: BTreeMap<(&'static str, String), String>,
    made: Vec<String>,
    filled: Filled,
}

/// Fills the service's fresh database with `plan`'s casework, acting as the city admin `city` (who
/// makes a token for each unit and district that acts, revoked at the end). `state`'s clock must be a
/// fixed one ([`crate::clock::Clock::fixed`]): the demo moves it.
pub fn fill(state: AppState, city: &Staff, plan: &Plan) -> Result<Filled, DemoError> {
    let store = state.cases.clone().ok_or(DemoError::Missing("a case store"))?;
    let admins = state.admins.clone().ok_or(DemoError::Missing("staff tokens"))?;
    let any = store.list(&Filter { limit: 1, ..Filter::default() }).map_err(|e| DemoError::Store(e.to_string()))?;
    if !any.is_empty() {
        return Err(DemoError::NotFresh);
    }
    let start = plan.end - Duration::days(30 * i64::from(plan.months));
    let mut walk = Walk {
        state,
        admins: &admins,
        city,
        rng: Rng::new(plan.seed),
        queue: BinaryHeap::new(),
        seq: 0,
        cases: Vec::new(),
        tokens: BTreeMap::new(),
        made: Vec::new(),
        filled: Filled::default(),
    };
    // The demands: spread over each day's office hours, fewer at weekends.
    let mut n = 0;
    let mut day = start.with_hour(0).and_then(|d| d.with_minute(0)).unwrap_or(start);
    while day < plan.end {
        let weekend = matches!(chrono::Datelike::weekday(&day), chrono::Weekday::Sat | chrono::Weekday::Sun);
        let count = if weekend { plan.per_day.div_ceil(2) } else { plan.per_day };
        for _ in 0..count {
            let at = day + Duration::minutes(7 * 60 + walk.rng.below(14 * 60) as i64);
            if at > start && at < plan.end {
                walk.push(at, Step::File(n));
                n += 1;
            }
        }
        for h in [0, 6, 12, 18] {
            walk.push(day + Duration::hours(h) + Duration::minutes(5), Step::Sweep);
        }
        day += Duration::days(1);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DemoError::Store(e.to_string()))?;
    let result = rt.block_on(walk.run(plan.end));
    for id in std::mem::take(&mut walk.made) {
        if let Err(e) = admins.revoke(city, &id) {
            tracing::warn!(token = id, error = %e, "a demo token could not be revoked");
        }
    }
    result.map(|()| walk.filled)
}

impl Walk<'_> {
    fn push(&mut self, at: DateTime<FixedOffset>, step: Step) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, step)));
    }

    async fn run(&mut self, end: DateTime<FixedOffset>) -> Result<(), DemoError> {
        while let Some(Reverse((at, _, step))) = self.queue.pop() {
            if at > end {
                break; // what would come later stays to be done: the live queue
            }
            self.state.clock.set(at);
            match step {
                Step::Sweep => {
                    let store = self.state.cases.clone().ok_or(DemoError::Missing("a case store"))?;
                    let swept = store.sweep(at).map_err(|e| DemoError::Store(e.to_string()))?;
                    self.filled.warnings += swept.warnings;
                    self.filled.overdue += swept.overdue;
                }
                Step::File(n) => self.file(n, at).await?,
                Step::Act { case, by, event } => self.act(case, by, &event).await?,
                Step::Callback { case, body } => {
                    let (id, token) = (self.cases[case].id.clone(), self.cases[case].tracking.clone());
                    self.send("callback", &id, &format!("/api/cases/{id}/callback"), &token, body).await?;
                    self.filled.callbacks += 1;
                }
            }
        }
        Ok(())
    }

    /// One request through the service's router, as a client's would go; its answer when 2xx.
    async fn send(&self, step: &str, case: &str, uri: &str, token: &str, body: String) -> Result<Value, DemoError> {
        let mut req = Request::post(uri).header("content-type", "application/json");
        if !token.is_empty() {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let req = req.body(Body::from(body)).map_err(|e| DemoError::Store(e.to_string()))?;
        let res = app(self.state.clone()).oneshot(req).await.map_err(|e| DemoError::Store(e.to_string()))?;
        let status = res.status();
        let bytes =
            axum::body::to_bytes(res.into_body(), usize::MAX).await.map_err(|e| DemoError::Store(e.to_string()))?;
        let answer = String::from_utf8_lossy(&bytes).into_owned();
        if !status.is_success() {
            return Err(DemoError::Refused {
                step: step.to_owned(),
                case: case.to_owned(),
                status: status.as_u16(),
                answer,
            });
        }
        serde_json::from_str(&answer).map_err(|e| DemoError::Store(format!("{step}: {e}")))
    }

    /// Files demand `n` and plans its life.
    async fn file(&mut self, n: u32, at: DateTime<FixedOffset>) -> Result<(), DemoError> {
        let form = self.form(n, at);
        let r = self.send("intake", "(new)", "/api/cases", "", form.to_string()).await?;
        self.filled.cases += 1;
        let (Some(id), Some(tracking)) = (r["case_id"].as_str(), r["tracking_token"].as_str()) else {
            return Err(DemoError::Store(format!("intake answered no case number: {r}")));
        };
        let (Some("dispatched"), Some(unit)) = (r["state"].as_str(), r["routing"]["lead"].as_str()) else {
            return Ok(()); // for an operator (pending_manual) or rejected: stays where intake left it
        };
        self.filled.dispatched += 1;
        let deadline = r["routing"]["deadline"].as_str().and_then(|d| DateTime::parse_from_rfc3339(d).ok());
        let district = form["district"].as_str().unwrap_or_default().to_owned();
        self.cases.push(Case {
            id: id.to_owned(),
            tracking: tracking.to_owned(),
            unit: unit.to_owned(),
            district,
            deadline,
        });
        self.plan(self.cases.len() - 1, at);
        Ok(())
    }

    /// A valid demand of a citizen of a Beijing street.
    fn form(&mut self, n: u32, at: DateTime<FixedOffset>) -> Value {
        let district = self.rng.pick(divisions::DISTRICTS);
        let street = self.rng.pick(district.streets);
        let (category, title, description) = *self.rng.pick(DEMANDS);
        // What the schema asks of these categories, as the widget's attribute fields would send it.
        let (yard, building) = (1 + self.rng.below(30), 1 + self.rng.below(12));
        let attributes = match category {
            "urban.community.elevators" | "housing.property.service" | "housing.property.leaks" => {
                json!({"building_no": format!("{building}号楼")})
            }
            "utilities.heating.low_temperature" => json!({"room_temperature": format!("{}", 10 + self.rng.below(6))}),
            "urban.construction.night_work" => json!({"noise_period": "night"}),
            "environment.noise.square_dancing" => json!({"noise_period": "day"}),
            _ => json!({}),
        };
        let place = street.name.trim_end_matches("街道").trim_end_matches("地区");
        json!({
            "district": district.code, "street": street.code, "channel": *self.rng.pick(&["web", "hotline", "hotline", "wechat", "app"]),
            "kind": "complaint", "category": category, "title": title, "description": description,
            "address": format!("{}{}{yard}号院{building}号楼", district.name, place),
            "reporter": {"phone": format!("13{}{:08}", 5 + self.rng.below(5), (u64::from(n) * 7919 + self.rng.below(1000) as u64) % 100_000_000)},
            "attributes": attributes, "consent": true,
            "received_at": at.to_rfc3339(),
        })
    }

    /// A case's life from dispatch: accepted and worked by its unit (sometimes returned first, or
    /// extended, or left to run out of time), replied, called back, closed by the district.
    fn plan(&mut self, case: usize, t0: DateTime<FixedOffset>) {
        let mut t = t0 + Duration::minutes(30 + self.rng.below(90) as i64);
        let act = |w: &mut Self, at, by, event: Value| w.push(at, Step::Act { case, by, event: event.to_string() });
        if self.rng.chance(6) {
            act(self, t, By::Unit, json!({"type": "returned", "reason": "经核实不属于本单位职责范围"}));
            t += Duration::hours(3);
            act(self, t, By::District, json!({"type": "ruling", "decision": "经研判属原承办单位职责，维持派单"}));
            t += Duration::minutes(5);
            let unit = self.cases[case].unit.clone();
            act(self, t, By::District, json!({"type": "dispatched", "unit": unit}));
            t += Duration::hours(1);
        }
        act(self, t, By::Unit, json!({"type": "in_progress"}));
        t += Duration::hours(1 + self.rng.below(12) as i64);
        act(self, t, By::Unit, json!({"type": "first_contact"}));
        if self.rng.chance(5) {
            return; // nobody replies: the sweep warns, then marks it overdue
        }
        if self.rng.chance(10) {
            t += Duration::days(1);
            act(self, t, By::Unit, json!({"type": "extension_requested", "reason": "需协调产权单位和物业共同处理"}));
            let due = self.cases[case].deadline.unwrap_or(t) + Duration::days(7);
            t += Duration::hours(2);
            let deadline = due.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
            act(self, t, By::District, json!({"type": "extension_approved", "deadline": deadline}));
            t += Duration::days(3 + self.rng.below(4) as i64);
        } else {
            t += Duration::hours(12 + self.rng.below(4 * 24) as i64);
        }
        let resolved = self.rng.chance(85);
        let message = *self.rng.pick(REPLIES);
        act(self, t, By::Unit, json!({"type": "replied", "resolved": resolved, "message": message}));
        if !self.rng.chance(85) {
            return; // the citizen was not reached for the callback
        }
        t += Duration::hours(20 + self.rng.below(24) as i64);
        let satisfaction = match (resolved, self.rng.below(100)) {
            (true, 0..75) | (false, 0..15) => "satisfied",
            (true, 75..95) | (false, 15..45) => "basically_satisfied",
            _ => "dissatisfied",
        };
        let body = json!({"resolved": resolved, "satisfaction": satisfaction}).to_string();
        self.push(t, Step::Callback { case, body });
        t += Duration::hours(2);
        act(self, t, By::District, json!({"type": "closed"}));
    }

    async fn act(&mut self, case: usize, by: By, event: &str) -> Result<(), DemoError> {
        let (role, scope) = match by {
            By::Unit => (Role::Operator, self.cases[case].unit.clone()),
            By::District => (Role::District, self.cases[case].district.clone()),
        };
        let token = self.token(role, &scope)?;
        let id = self.cases[case].id.clone();
        let kind = serde_json::from_str::<Value>(event).ok().and_then(|e| e["type"].as_str().map(str::to_owned));
        let kind = kind.unwrap_or_default();
        self.send(&kind, &id, &format!("/api/cases/{id}/events"), &token, event.to_owned()).await?;
        match kind.as_str() {
            "returned" => self.filled.returned += 1,
            "extension_approved" => self.filled.extended += 1,
            "replied" => self.filled.replied += 1,
            "closed" => self.filled.closed += 1,
            _ => {}
        }
        Ok(())
    }

    /// The token of the operator of `scope` (a unit) or the admin of `scope` (a district), made by the
    /// city admin the first time it acts.
    fn token(&mut self, role: Role, scope: &str) -> Result<String, DemoError> {
        if let Some(token) = self.tokens.get(&(role.as_str(), scope.to_owned())) {
            return Ok(token.clone());
        }
        // An operator's district follows from its street (a city department has none).
        let (district, unit) = match role {
            Role::Operator => (None, Some(scope)),
            _ => (Some(scope), None),
        };
        let name = format!("演示 {scope}");
        let new = NewToken { role: Some(role), district, unit, name: Some(&name) };
        let created = self.admins.create(Some(self.city), &new).map_err(|e| DemoError::Store(e.to_string()))?;
        self.made.push(created.staff.id.clone());
        self.tokens.insert((role.as_str(), scope.to_owned()), created.token.clone());
        Ok(created.token)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_demand_is_filed_under_a_leaf_category() {
        for (code, _, _) in super::DEMANDS {
            assert!(minyi_model::categories::leaf(code).is_some(), "{code}");
        }
    }
}
