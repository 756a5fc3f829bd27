//! A small category classifier model trained in the test, over four leaves of the category tree: what
//! a city would train with `cargo xtask train` from its labelled demands, small enough to train in
//! milliseconds.

/// A small model over four leaf categories of the tree, trained here (as `cargo xtask train` would
/// from a city's labelled CSV); `seed` changes the model, not what it learned.
pub fn model(seed: u64) -> Vec<u8> {
    let rows = [
        ("暖气不热", "家里暖气从前天开始不热，室温只有十四度", "utilities.heating.low_temperature"),
        ("暖气片冰凉", "暖气片一直是凉的，供热公司不来修", "utilities.heating.low_temperature"),
        ("供热温度低", "小区集中供热温度太低，老人孩子都冻感冒了", "utilities.heating.low_temperature"),
        ("垃圾没人清运", "小区门口的垃圾桶已经满了三天，一直没人清运", "urban.sanitation.garbage"),
        ("垃圾堆放", "路边垃圾堆成山，臭气熏天没人管", "urban.sanitation.garbage"),
        ("垃圾站脏乱", "小区垃圾分类站脏乱，垃圾满地", "urban.sanitation.garbage"),
        ("拖欠工资", "老板已经拖欠两个月工资，不签劳动合同", "labor.wages.arrears"),
        ("工资不发", "公司拖欠工资三个月，找老板也不给", "labor.wages.arrears"),
        ("讨薪", "装修公司拖欠农民工工资", "labor.wages.arrears"),
        ("违章停车", "小区门口消防通道经常有车辆违停", "transport.parking.illegal"),
        ("乱停车", "车辆违停堵住出入口，消防车进不来", "transport.parking.illegal"),
        ("占道停车", "路边违章停车占用人行道", "transport.parking.illegal"),
    ];
    let rows: Vec<(String, String)> = rows.iter().map(|(t, d, l)| (format!("{t}\n{d}"), (*l).to_owned())).collect();
    // Twelve rows make a diffident model: it suggests from a confidence of 0.4 (four categories).
    let options = minyi_classify::TrainOptions { min_df: 1, seed, abstain_below: 0.4, ..Default::default() };
    minyi_classify::train(&rows, &options).expect("trains").to_bytes()
}
