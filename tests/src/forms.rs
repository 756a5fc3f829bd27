//! A deterministic generator of varied case forms (valid, invalid, hostile) for differential tests.

use minyi_model::{categories, divisions};
use serde_json::{Value, json};

pub use minyi_model::rng::Rng;

const PHONES: &[&str] = &[
    "13800138000",
    "138 0013 8000",
    "+86 139-1234-5678",
    "０１０－６５１２３４５６",
    "010-65123456",
    "12345",
    "1380013800",
    "",
    "１３９１２３４５６７８",
    "0086 13700001111",
    "+1 2025550123",
    "(010) 6512 3456",
];
const IDS: &[&str] = &["11010519491231002X", "110105194912310021", "11010519490230002", "abc", ""];
const FRAGMENTS: &[&str] = &[
    "小区垃圾三天没人清运，气味很大。",
    "楼上每天夜里装修，吵得睡不着。",
    "暖气不热，室温只有十二度。",
    "我的电话是13912345678，请尽快回电。",
    "联系人手机 139-****-0929。",
    "身份证11010519491231002X丢了怎么补办？",
    "银行卡号6222 0200 1234 5678 903被多扣费。",
    "楼下饭馆着火了，火势很大！",
    "这个路口容易发生车祸，建议加装红绿灯。",
    "我和开发商的纠纷法院已立案，请督促。",
    "３号楼２０１室漏水严重。",
    "2026-11-29 下午三点停电至今。",
    "Street light broken near gate 3.",
    "😀 emoji 与 \u{200b} 零宽字符",
];

fn text(rng: &mut Rng, max_fragments: usize) -> String {
    let n = rng.below(max_fragments + 1);
    let mut s: String = (0..n).map(|_| *rng.pick(FRAGMENTS)).collect();
    if rng.chance(3) {
        s = "长".repeat(1990 + rng.below(30));
    }
    s
}

fn address(rng: &mut Rng) -> String {
    let d = rng.pick(divisions::DISTRICTS);
    let s = rng.pick(d.streets);
    let stem = s.name.trim_end_matches("街道").trim_end_matches("地区");
    match rng.below(7) {
        0 => format!("{}{}某小区{}号楼", d.name, s.name, rng.below(30)),
        1 => format!("{stem}某路{}号", rng.below(300)),
        2 => format!("{} {} 街道", d.name.trim_end_matches('区'), stem),
        3 => "八里庄北里".to_owned(),
        4 => "某某路100号".to_owned(),
        5 => String::new(),
        _ => format!("北京市{}{}ＳＯＨＯ", d.name, stem),
    }
}

/// A form a careful citizen would send: every value valid.
fn clean(rng: &mut Rng, leaves: &[&str]) -> String {
    let d = rng.pick(divisions::DISTRICTS);
    let s = rng.pick(d.streets);
    let category = loop {
        let c = *rng.pick(leaves);
        // These categories require an extra attribute in the Beijing schema.
        if c != "utilities.heating.low_temperature"
            && !(d.code == "110108" && (c.starts_with("housing.property") || c == "urban.community.elevators"))
        {
            break c;
        }
    };
    json!({
        "district": d.code,
        "street": s.code,
        "channel": rng.pick(&["hotline", "web", "app"]),
        "kind": "complaint",
        "category": category,
        "title": rng.pick(&["小区垃圾三天没人清运", "夜间施工噪声扰民", "暖气不热"]),
        "description": rng.pick(&FRAGMENTS[..3]).repeat(1 + rng.below(3)),
        "address": format!("{}{}某小区{}号楼", d.name, s.name, 1 + rng.below(30)),
        "reporter": {"phone": rng.pick(&PHONES[..5]), "anonymous": false},
        "consent": true,
        "received_at": "2026-11-29T10:00:00+08:00",
    })
    .to_string()
}

/// `n` case-form JSON documents from `seed`: about a third valid, some malformed, the rest invalid
/// in many ways at once.
pub fn generate(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let leaves: Vec<&str> = categories::leaves().map(|c| c.code).collect();
    (0..n)
        .map(|i| {
            match i % 40 {
                3 => return format!("{{\"district\": {i}}}"),
                13 => return "{\"district\": \"110105\", \"channel\": \"fax\"".to_owned(),
                23 => return format!("[{i}]"),
                _ => {}
            }
            if rng.chance(30) {
                return clean(&mut rng, &leaves);
            }
            let d = rng.pick(divisions::DISTRICTS);
            let district = match rng.below(12) {
                0 => "".to_owned(),
                1 => "999999".to_owned(),
                _ => d.code.to_owned(),
            };
            let street = match rng.below(5) {
                0 => Value::Null,
                1 => json!("110105999"),
                _ => json!(rng.pick(d.streets).code),
            };
            let category = match rng.below(10) {
                0 => Value::Null,
                1 => json!("urban.sanitation"),
                2 => json!("no.such.leaf"),
                _ => json!(rng.pick(&leaves)),
            };
            let mut attributes = serde_json::Map::new();
            if rng.chance(30) {
                let (k, v) = *rng.pick(&[
                    ("building_no", "3"),
                    ("room_temperature", "12"),
                    ("room_temperature", "hot"),
                    ("noise_period", "night"),
                    ("noise_period", "night,day"),
                    ("affected", "building,community"),
                    ("colour", "red"),
                ]);
                attributes.insert(k.to_owned(), json!(v));
            }
            let attachments: Vec<Value> = (0..rng.below(4))
                .map(|k| {
                    let mime = *rng.pick(&["image/jpeg", "image/png", "application/x-msdownload"]);
                    json!({"name": format!("{k}.bin"), "mime": mime, "bytes": rng.below(30 << 20)})
                })
                .collect();
            let location = if rng.chance(50) {
                json!({"lat": 39.0 + rng.below(300) as f64 / 100.0, "lon": 115.0 + rng.below(300) as f64 / 100.0})
            } else {
                Value::Null
            };
            json!({
                "district": district,
                "street": street,
                "channel": rng.pick(&["hotline", "web", "app", "wechat", "open311", "other"]),
                "kind": rng.pick(&["consult", "help", "complaint", "report", "suggestion", "praise"]),
                "category": category,
                "title": text(&mut rng, 1),
                "description": text(&mut rng, 4),
                "address": address(&mut rng),
                "location": location,
                "reporter": {
                    "name": if rng.chance(50) { json!("张三") } else { Value::Null },
                    "phone": rng.pick(PHONES),
                    "id_number": rng.pick(IDS),
                    "email": rng.pick(&["", "a@example.cn", "bad@", "B@Example.COM"]),
                    "anonymous": rng.chance(20),
                },
                "attributes": attributes,
                "attachments": attachments,
                "consent": rng.chance(90),
                "received_at": if i % 50 == 7 { "yesterday".to_owned() } else { format!("2026-11-{:02}T{:02}:00:00+08:00", 20 + rng.below(11), rng.below(24)) },
            })
            .to_string()
        })
        .collect()
}

/// `n` 海淀 forms for its validation plugin: clean apart from what the plugin looks at — categories in
/// and around property management, building numbers of every sort (valid, with Chinese or symbols,
/// blank, missing), attachments, and now and then a street the directory does not know.
pub fn haidian_property(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let haidian = divisions::district("110108").expect("海淀 is a district");
    let near: Vec<&str> = categories::leaves()
        .map(|c| c.code)
        .filter(|c| {
            ["housing.property", "utilities.heating", "urban.community"].iter().any(|p| categories::under(c, p))
        })
        .collect();
    (0..n)
        .map(|_| {
            let street = if rng.chance(10) { "110108999" } else { rng.pick(haidian.streets).code };
            let mut form = json!({
                "district": "110108",
                "street": street,
                "channel": rng.pick(&["web", "app", "wechat"]),
                "kind": rng.pick(&["complaint", "help", "report"]),
                "category": rng.pick(&near),
                "title": rng.pick(&["物业不管电梯", "楼道灯坏了", "暖气不热"]),
                "description": rng.pick(&FRAGMENTS[..3]).repeat(1 + rng.below(3)),
                "address": format!("海淀区{}某小区{}号楼", rng.pick(haidian.streets).name, 1 + rng.below(30)),
                "reporter": {"phone": rng.pick(&PHONES[..5]), "anonymous": rng.chance(20)},
                "consent": true,
                "received_at": "2026-11-29T10:00:00+08:00",
            });
            let building = *rng.pick(&["3", "12-B", "A7", "3号楼", "十二", "12#", " ", "", "12 B", "Ⅻ", "-", "𠀋1"]);
            if rng.chance(85) {
                form["attributes"] = json!({ "building_no": building });
            }
            if rng.chance(20) {
                form["attachments"] = json!([{"name": "photo.jpg", "mime": "image/jpeg", "bytes": rng.below(5 << 20)}]);
            }
            form.to_string()
        })
        .collect()
}
