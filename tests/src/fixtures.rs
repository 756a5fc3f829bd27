//! District data the tests deploy at runtime: 朝阳's own rule set (with its example) and form schema.

/// Chaoyang's part of the city set: Wangjing's garbage goes to its sanitation station.
pub const CHAOYANG_RULES: &str = r#"
[ruleset]
name = "chaoyang"
region = "beijing"

[units]
"110105.hwz" = "朝阳区环境卫生服务中心望京站"

[[rule]]
id = "wangjing-garbage"
when = { street = ["110105026"], category = ["urban.sanitation.garbage"] }
then = { lead = "110105.hwz", tier = "general", tags = ["望京"] }

[[example]]
name = "Wangjing garbage goes to the station"
case = { district = "110105", street = "110105026", category = "urban.sanitation.garbage" }
expect = { lead = "110105.hwz" }
"#;

/// Chaoyang's form schema: garbage complaints name the residential community.
pub const CHAOYANG_SCHEMA: &str = r#"
[schema]
name = "朝阳区 12345 诉求表单"
district = "110105"
extends = "beijing"

[[attribute]]
code = "community"
categories = ["urban.sanitation"]
datatype = "string"
required = true
max = 40
label = { zh-CN = "小区名称", en = "Residential community" }
"#;
