//! Five-fold cross-validation on real labelled demands: the messages of a provincial 问政 board with
//! their official first-level category (`../shared/data/cn-hotline-messages.csv`, no licence: read
//! from `../shared`, never copied in, and no model trained on it is kept).

use minyi_classify::{TrainOptions, cross_validate, read_csv};

#[test]
fn five_folds_on_real_hotline_messages_reach_85_percent() {
    let Some(path) = minyi_tests::shared::data("cn-hotline-messages.csv") else { return };
    let csv = std::fs::read(&path).expect("reads");
    // The title, then the message (which starts with it again: the title counts twice).
    let examples = read_csv(&csv, &["title", "text"], "category").expect("the CSV has the columns");
    assert!(examples.len() > 3000, "the rows: {}", examples.len());
    let (all, folds) = cross_validate(&examples, 5, &TrainOptions::default()).expect("trains");
    println!("{}", all.report());
    for (i, f) in folds.iter().enumerate() {
        println!("fold {i}: {:.1} %", f.accuracy * 100.0);
    }
    assert_eq!(all.labels.len(), 7, "the seven first-level categories");
    let labelled = examples.iter().filter(|(_, l)| !l.is_empty()).count();
    assert_eq!(all.count, labelled, "every labelled row is predicted once");
    assert!(all.accuracy >= 0.85, "5-fold top-1 accuracy {:.3}", all.accuracy);
}
