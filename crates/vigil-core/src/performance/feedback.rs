//! The feedback-loop check of one model, read from its prediction log: for each revision, in
//! the order it began serving (its first logged prediction), how often it predicted each class
//! and how often the labels that came back for its predictions named each class, over the same
//! classes, judged by [`vigil_performance_stats::feedback_loop`]. The whole log is read (it is
//! bounded by the model's retention), so a revision that served last month still counts.
//!
//! Classifiers only: a regressor's predictions have no classes to count, and its report carries
//! no verdict.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::AnyConnection;
use vigil_performance_stats::{feedback_loop, FeedbackVerdict, RevisionWindow};

use crate::Result;

/// The verdict on `model`'s revisions; None when it has logged no predicted class.
pub async fn check(conn: &mut AnyConnection, model: &str) -> Result<Option<FeedbackVerdict>> {
    let predicted: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT version, class, count(*), min(at_ms) FROM predictions
         WHERE model = $1 AND class IS NOT NULL GROUP BY version, class",
    )
    .bind(model)
    .fetch_all(&mut *conn)
    .await?;
    if predicted.is_empty() {
        return Ok(None);
    }
    let labelled: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT p.version, g.class, count(*) FROM predictions p
         JOIN ground_truth g ON g.model = p.model AND g.inference_id = p.inference_id
         WHERE p.model = $1 AND p.class IS NOT NULL GROUP BY p.version, g.class",
    )
    .bind(model)
    .fetch_all(&mut *conn)
    .await?;
    let classes: BTreeSet<&str> = predicted
        .iter()
        .map(|(_, class, ..)| class.as_str())
        .chain(labelled.iter().map(|(_, c, _)| c.as_str()))
        .collect();
    let index = |class: &str| classes.iter().position(|known| *known == class).unwrap_or_default();
    let mut revisions: BTreeMap<&str, (i64, RevisionWindow)> = BTreeMap::new();
    for (version, class, count, first_ms) in &predicted {
        let (first, window) = revisions.entry(version).or_insert_with(|| {
            let window =
                RevisionWindow { revision: version.clone(), predictions: vec![0.0; classes.len()], labels: Vec::new() };
            (*first_ms, window)
        });
        *first = (*first).min(*first_ms);
        window.predictions[index(class)] += *count as f64;
    }
    for (version, class, count) in &labelled {
        if let Some((_, window)) = revisions.get_mut(version.as_str()) {
            window.labels.resize(classes.len(), 0.0);
            window.labels[index(class)] += *count as f64;
        }
    }
    let mut ordered: Vec<(i64, RevisionWindow)> = revisions.into_values().collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.revision.cmp(&b.1.revision)));
    let windows: Vec<RevisionWindow> = ordered.into_iter().map(|(_, window)| window).collect();
    // Counts over one fixed list of classes cannot be refused; an error here would be a bug.
    Ok(feedback_loop(&windows).ok())
}
