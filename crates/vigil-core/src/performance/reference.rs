//! The labelled reference CBPE is calibrated on: for a binary classifier, each reference row's
//! probability of the positive class, predicted class and true class, read from the reference
//! file when it is imported. The drift reference keeps only per-column profiles, whose rows no
//! longer pair up, so these pairs are read from the file beside them: the columns are those the
//! model's output rule names (its label and probability outputs) and the reference's target.
//! Every statement on the `performance_references` table.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use sqlx::AnyConnection;

use super::log::class_of;
use super::outputs::OutputRule;
use crate::drift::table::{BadRows, Field, Table};
use crate::store::sql;
use crate::Result;

/// The most reference rows kept for calibration (the first ones of the file).
pub const MAX_ROWS: usize = 100_000;

/// One labelled reference prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledRow {
    pub probability: f64,
    pub predicted: String,
    pub truth: String,
}

/// The labelled rows of a reference file, for a model whose rule names a label and a probability
/// output, when the file holds both and the `target`; none otherwise. Rows without a probability
/// from 0 to 1, a predicted class and a label are left out. Blocking.
pub fn read(path: &Path, rule: &OutputRule, target: Option<&str>) -> Result<Vec<LabelledRow>> {
    let (OutputRule::Classifier { label, probability: Some(probability) }, Some(target)) = (rule, target) else {
        return Ok(Vec::new());
    };
    let mut table = Table::open(path)?;
    let position = |name: &str| table.columns().iter().position(|column| column == name);
    let (Some(label_at), Some(probability_at), Some(target_at)) =
        (position(label), position(probability), position(target))
    else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    table.read_all(path, BadRows::Skip, &|_| {}, &AtomicBool::new(false), |row| {
        if rows.len() < MAX_ROWS {
            let read = (row.get(probability_at), class_of(row.get(label_at)), class_of(row.get(target_at)));
            if let (Field::Number(p), Some(predicted), Some(truth)) = read {
                if (0.0..=1.0).contains(&p) {
                    rows.push(LabelledRow { probability: p, predicted, truth });
                }
            }
        }
        Ok(None)
    })?;
    Ok(rows)
}

/// Stores `rows` as the labelled reference of `model`'s `version` ("" for every version),
/// replacing the one before (none: only deleting it).
pub async fn store(conn: &mut AnyConnection, model: &str, version: &str, rows: &[LabelledRow]) -> Result<()> {
    sqlx::query("DELETE FROM performance_references WHERE model = $1 AND version = $2")
        .bind(model)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    for (chunk_index, chunk) in rows.chunks(4_096).enumerate() {
        let text = format!(
            "INSERT INTO performance_references (model, version, row, probability, predicted, truth) VALUES {}",
            sql::placeholders(crate::store::backend_of_connection(conn), 6, chunk.len())
        );
        let mut insert = sqlx::query(&text);
        for (index, row) in chunk.iter().enumerate() {
            insert = insert
                .bind(model)
                .bind(version)
                .bind((chunk_index * 4_096 + index) as i64)
                .bind(row.probability)
                .bind(&row.predicted)
                .bind(&row.truth);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The labelled reference of `model`'s `version`, else the one for every version; empty when none.
pub async fn load(conn: &mut AnyConnection, model: &str, version: &str) -> Result<Vec<LabelledRow>> {
    let rows: Vec<(f64, String, String)> = sqlx::query_as(
        "SELECT probability, predicted, truth FROM performance_references
         WHERE model = $1 AND version = (SELECT max(version) FROM performance_references
                                         WHERE model = $1 AND version IN ($2, ''))
         ORDER BY row",
    )
    .bind(model)
    .bind(version)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(probability, predicted, truth)| LabelledRow { probability, predicted, truth }).collect())
}
