//! The classifier on a small labelled set written here: learned perfectly, reproducible from its seed,
//! explained, and every kind of bad input refused with its reason.

use super::*;

fn examples() -> Vec<(String, String)> {
    let rows: &[(&str, &str)] = &[
        ("家里暖气不热，室温只有十二度", "供暖"),
        ("暖气片冰凉，供热公司不来修", "供暖"),
        ("小区集中供热温度太低", "供暖"),
        ("暖气漏水把地板泡了", "供暖"),
        ("楼下垃圾三天没人清运", "环卫"),
        ("垃圾桶满了没人管，臭气熏天", "环卫"),
        ("小区垃圾分类站脏乱", "环卫"),
        ("路边垃圾堆成山", "环卫"),
        ("公司拖欠工资三个月", "劳动"),
        ("老板不发工资还不签劳动合同", "劳动"),
        ("单位不给缴社保", "劳动"),
        ("加班没有加班费，拖欠工资", "劳动"),
        ("", ""),
        ("没有标签的一行", ""),
    ];
    rows.iter().map(|(t, l)| ((*t).to_owned(), (*l).to_owned())).collect()
}

fn model() -> Model {
    let options = TrainOptions { min_df: 1, ..TrainOptions::default() };
    train(&examples(), &options).expect("trains")
}

#[test]
fn a_small_labelled_set_is_learned_perfectly() {
    let m = model();
    assert_eq!(m.labels(), ["供暖", "劳动", "环卫"], "the labels come from the data; unlabelled rows are skipped");
    assert_eq!(m.about().rows, 12);
    for (text, label) in examples().iter().filter(|(_, l)| !l.is_empty()) {
        let s = m.suggest(text, None).expect("suggests");
        assert_eq!(&s.top[0].category, label, "{text}: {s:?}");
    }
    // A demand it has not seen, in the words of one category.
    let s = m.suggest("我家暖气一点都不热", None).expect("suggests");
    assert_eq!(s.top[0].category, "供暖");
    assert_eq!(s.top.len(), 3);
    assert!(s.top.windows(2).all(|w| w[0].confidence >= w[1].confidence), "likeliest first: {s:?}");
    let total: f32 = m.confidences("我家暖气一点都不热").expect("reads").iter().sum();
    assert!((total - 1.0).abs() < 1e-4, "confidences sum to 1: {total}");
    // The explanation names n-grams of the text that speak for the category.
    assert!(!s.evidence.is_empty());
    assert!(s.evidence.iter().all(|e| e.weight > 0.0 && "我家暖气一点都不热".contains(&e.gram)), "{:?}", s.evidence);
    assert!(s.evidence.iter().any(|e| e.gram.contains('暖')), "{:?}", s.evidence);
}

#[test]
fn it_abstains_below_the_threshold() {
    let m = model();
    let text = "我家暖气一点都不热";
    let first = m.suggest(text, None).expect("suggests").top[0].confidence;
    assert!(!m.suggest(text, Some(first - 0.01)).expect("suggests").abstained);
    let s = m.suggest(text, Some(first + 0.01)).expect("suggests");
    assert!(s.abstained, "below the threshold the category is left to a person");
    assert_eq!(s.top[0].category, "供暖", "the ranking is still given");
}

#[test]
fn training_is_reproducible_from_its_seed() {
    let options = TrainOptions { min_df: 1, ..TrainOptions::default() };
    let a = train(&examples(), &options).expect("trains").to_bytes();
    let b = train(&examples(), &options).expect("trains").to_bytes();
    assert_eq!(a, b, "the same data and seed give the same file, byte for byte");
    let other = train(&examples(), &TrainOptions { seed: 7, ..options }).expect("trains").to_bytes();
    assert_ne!(a, other, "the seed decides the order of the examples");
}

#[test]
fn a_model_file_round_trips_and_bad_files_are_refused_with_the_reason() {
    let m = model();
    let bytes = m.to_bytes();
    assert_eq!(Model::from_bytes(&bytes).expect("reads"), m);
    // Truncated anywhere.
    for cut in [0, 5, 20, bytes.len() / 2, bytes.len() - 1] {
        let e = Model::from_bytes(&bytes[..cut]).expect_err("a truncated file is refused");
        assert!(matches!(e, ModelError::Foreign | ModelError::Corrupt(_)), "{cut}: {e}");
    }
    assert!(matches!(Model::from_bytes(&bytes[..bytes.len() - 1]), Err(ModelError::Corrupt(_))));
    // One byte changed.
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let e = Model::from_bytes(&flipped).expect_err("an altered file is refused");
    assert!(e.to_string().contains("SHA-256"), "{e}");
    // Not a model at all: a wasm module, JSON.
    assert_eq!(Model::from_bytes(b"\0asm\x01\0\0\0"), Err(ModelError::Foreign));
    assert_eq!(Model::from_bytes(br#"{"labels": []}"#), Err(ModelError::Foreign));
    // A later version.
    let mut later = bytes;
    later[14] = 9;
    assert_eq!(Model::from_bytes(&later), Err(ModelError::Version(9)));
}

#[test]
fn bad_text_gets_a_clear_error() {
    let m = model();
    assert_eq!(m.suggest("", None), Err(ClassifyError::Empty));
    assert_eq!(m.suggest(" \n\t\u{3000} ", None), Err(ClassifyError::Empty));
    let huge = "暖".repeat(1 << 20);
    let e = m.suggest(&huge, None).expect_err("a megabyte of text is refused");
    assert!(matches!(e, ClassifyError::TooLong { .. }));
    assert!(e.to_string().starts_with("text: "), "the error names the field: {e}");
    // Text it has never seen a character of still gets an answer (the prior): no panic, no NaN.
    let s = m.suggest("🙂🙂🙂", None).expect("suggests");
    assert!(s.top.iter().all(|t| t.confidence.is_finite()));
    assert!(s.evidence.is_empty());
}

#[test]
fn training_needs_two_labels_and_sane_options() {
    let one: Vec<(String, String)> = vec![("暖气不热".into(), "供暖".into()), ("暖气漏水".into(), "供暖".into())];
    assert_eq!(train(&one, &TrainOptions::default()), Err(TrainError::TooFewLabels(1)));
    let bad = TrainOptions { epochs: 0, ..TrainOptions::default() };
    assert!(matches!(train(&examples(), &bad), Err(TrainError::Options(_))));
    let rare = TrainOptions { min_df: 100, ..TrainOptions::default() };
    assert_eq!(train(&examples(), &rare), Err(TrainError::NoFeatures(100)));
}

#[test]
fn text_is_normalised_before_it_is_read() {
    assert_eq!(text::normalise("Ａ市 ５号楼\t138"), "a市0号楼000".chars().collect::<Vec<_>>());
    let mut g: Vec<(String, u32)> =
        text::grams(&text::normalise("暖气暖气")).into_iter().map(|(g, n)| (text::gram_text(g), n)).collect();
    g.sort();
    assert_eq!(g, vec![("暖".into(), 2), ("暖气".into(), 2), ("气".into(), 2), ("气暖".into(), 1)]);
    for (g, _) in text::grams(&text::normalise("a市0号")) {
        assert_eq!(text::gram_of(&text::gram_text(g)), Some(g), "an n-gram's text gives it back");
    }
    assert_eq!(text::gram_of("三个字"), None);
}
