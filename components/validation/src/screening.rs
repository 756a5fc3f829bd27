//! Out-of-scope screening: emergencies for 110 / 119 / 120 / 122 and matters before a court get a
//! redirect instead of a case. The phrase lists are data shared with routing
//! (`minyi_model::phrases`, `components/model/data/phrases.toml`), not code.

use minyi_model::phrases::Scan;
use minyi_model::{Message, Redirect};

/// The redirect for a demand whose text describes an emergency or a court matter, with the keyword
/// found. One pass over the text finds every keyword and `unless` word of every list.
pub fn screen(title: &str, description: &str) -> Option<(Redirect, &'static str)> {
    let (list, word) = Scan::of(&[title, description]).redirect()?;
    let r = list.redirect?;
    Some((Redirect { to: r.to.to_owned(), message: Message::new(r.zh_cn.to_owned(), r.en.to_owned()) }, word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let to = |t: &str| screen("", t).map(|(r, _)| r.to);
        assert_eq!(to("楼下饭馆着火了，浓烟很大").as_deref(), Some("119"));
        assert_eq!(to("如果发生火灾，后果不堪设想").as_deref(), None);
        assert_eq!(to("楼道堆放杂物，一旦着火了后果不堪设想，存在消防隐患").as_deref(), None);
        assert_eq!(to("路口有人晕倒了没人管").as_deref(), Some("120"));
        assert_eq!(to("吸入后可出现呼吸困难").as_deref(), None);
        assert_eq!(to("刚才在路口发生车祸，两车相撞").as_deref(), Some("122"));
        assert_eq!(to("这个路口容易发生车祸，建议装红绿灯").as_deref(), None);
        assert_eq!(to("小区门口有人正在打人").as_deref(), Some("110"));
        // Crimes in progress, armed robbery above all; a past one, or public order in general, is not.
        assert_eq!(to("快来人，楼下便利店有人持刀抢劫，劫匪还在店里").as_deref(), Some("110"));
        assert_eq!(to("银行门口两个歹徒正在抢钱").as_deref(), Some("110"));
        assert_eq!(to("有人撬门，小偷正在屋里翻东西").as_deref(), Some("110"));
        assert_eq!(to("去年小区发生过一起持刀抢劫，希望加强巡逻").as_deref(), None);
        assert_eq!(to("小区门口经常有人打架，打起来了也没人管，请加强治安").as_deref(), None);
        // A gas leak is 12345's (routing sends it to the gas company): no redirect.
        assert_eq!(to("厨房燃气泄漏了，味道很大").as_deref(), None);
        assert_eq!(to("我和开发商的纠纷法院已立案，请12345督促").as_deref(), Some("court"));
        assert_eq!(to("小区垃圾三天没人清运").as_deref(), None);
    }
}
