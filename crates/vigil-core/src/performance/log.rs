//! The prediction log: each prediction's inference id, time and output, gathered in memory as
//! payloads or log rows arrive ([`PredictionLog`]) and stored with the live drift windows in the
//! ingest's once-a-second write. Predictions that cannot be logged are counted by why. Every
//! statement on the `predictions` and `prediction_skips` tables.
//!
//! A payload of one row is logged under its inference id; row `i` of a batch of several under
//! `ID#i`, which is the id its label must carry.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::outputs::OutputRule;
use crate::drift::table::Field;
use crate::store::sql;
use crate::Result;

/// Predictions stored by one statement (8 values each, within SQLite's 32,766 parameters).
const ROWS_PER_INSERT: usize = 512;

/// What a model predicted for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub class: Option<String>,
    pub probability: Option<f64>,
    pub value: Option<f64>,
}

/// The positions of a rule's columns among a row's columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Located {
    Classifier { label: usize, probability: Option<usize> },
    Regressor { value: usize },
}

impl Located {
    /// Finds `rule`'s columns among `columns`; the error says why no prediction can be read.
    pub fn find(rule: &OutputRule, columns: &[String]) -> Result<Located, String> {
        let position = |name: &str| {
            columns.iter().position(|column| column == name).ok_or_else(|| {
                format!("the output {name} the model's prediction is read from was not among {}", columns.join(", "))
            })
        };
        match rule {
            OutputRule::Classifier { label, probability } => Ok(Located::Classifier {
                label: position(label)?,
                probability: probability.as_deref().and_then(|name| position(name).ok()),
            }),
            OutputRule::Regressor { value } => Ok(Located::Regressor { value: position(value)? }),
            OutputRule::Unknown(why) => Err(why.clone()),
        }
    }

    /// The columns that hold the output (left out of kept inputs).
    pub fn holds(&self, index: usize) -> bool {
        match *self {
            Located::Classifier { label, probability } => index == label || Some(index) == probability,
            Located::Regressor { value } => index == value,
        }
    }

    /// Reads one row's output through `field` (a column's value by position); the error says
    /// what was wrong without the value, so that it counts as one reason however often it happens.
    pub fn read<'a>(&self, field: impl Fn(usize) -> Field<'a>) -> Result<Output, String> {
        match *self {
            Located::Classifier { label, probability } => {
                let class = class_of(field(label))
                    .ok_or("a predicted label was not a class (an integer, a boolean or text)")?;
                let probability = match probability.map(&field) {
                    Some(Field::Number(p)) if (0.0..=1.0).contains(&p) => Some(p),
                    Some(_) => return Err("a predicted probability was not a number from 0 to 1".to_owned()),
                    None => None,
                };
                Ok(Output { class: Some(class), probability, value: None })
            }
            Located::Regressor { value } => match field(value) {
                Field::Number(number) if number.is_finite() => {
                    Ok(Output { class: None, probability: None, value: Some(number) })
                }
                _ => Err("a predicted value was not a number".to_owned()),
            },
        }
    }
}

/// A value as a class: an integer as its digits ("1", not "1.0"), a boolean as "1" or "0", text
/// as it is; None for a fraction or nothing.
pub fn class_of(field: Field<'_>) -> Option<String> {
    match field {
        Field::Number(number) if number.fract() == 0.0 && number.abs() < 9.0e15 => Some((number as i64).to_string()),
        Field::Text("true" | "True" | "TRUE") => Some("1".to_owned()),
        Field::Text("false" | "False" | "FALSE") => Some("0".to_owned()),
        Field::Text(text) if !text.is_empty() => Some(text.to_owned()),
        _ => None,
    }
}

fn json_of(field: Field<'_>) -> serde_json::Value {
    match field {
        Field::Missing => serde_json::Value::Null,
        Field::Number(number) => serde_json::json!(number),
        Field::Text(text) => serde_json::Value::String(text.to_owned()),
    }
}

/// The id row `index` of `rows` rows sent under `id` is logged as.
pub fn row_id(id: &str, index: usize, rows: usize) -> String {
    if rows == 1 {
        id.to_owned()
    } else {
        format!("{id}#{index}")
    }
}

/// One prediction to log.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub model: String,
    pub inference_id: String,
    pub version: String,
    pub at_ms: i64,
    pub output: Output,
    /// The request's values as a JSON object, when the model keeps inputs.
    pub inputs: Option<String>,
}

/// Where rows to log come from: their model, version, time, inference id and columns, the rule
/// that finds the output among them, and whether the model keeps inputs (all columns but the
/// output and those in `leave_out`).
pub struct Source<'r> {
    pub model: &'r str,
    pub version: &'r str,
    pub id: Option<&'r str>,
    pub at_ms: i64,
    pub columns: &'r [String],
    pub rule: &'r OutputRule,
    pub keep_inputs: bool,
    pub leave_out: &'r [usize],
}

/// Predictions gathered before they are stored, and those that could not be logged.
#[derive(Debug, Default)]
pub struct PredictionLog {
    predictions: Vec<Prediction>,
    /// (model, why) → (how many, the last time in Unix ms).
    skipped: HashMap<(String, String), (u64, i64)>,
}

impl PredictionLog {
    /// Logs `rows` rows from `source`, `field(row, column)` giving each value; rows that cannot
    /// be logged are counted with why.
    pub fn log<'a>(&mut self, source: &Source<'_>, rows: usize, field: impl Fn(usize, usize) -> Field<'a>) {
        let Some(id) = source.id else {
            let why = "the predictions came without an inference id (ce-id, the body's id, or an id column), \
                       which labels join by";
            return self.skip(source.model, why, rows as u64, source.at_ms);
        };
        let located = match Located::find(source.rule, source.columns) {
            Ok(located) => located,
            Err(why) => return self.skip(source.model, &why, rows as u64, source.at_ms),
        };
        for row in 0..rows {
            match located.read(|column| field(row, column)) {
                Ok(output) => self.predictions.push(Prediction {
                    model: source.model.to_owned(),
                    inference_id: row_id(id, row, rows),
                    version: source.version.to_owned(),
                    at_ms: source.at_ms,
                    output,
                    inputs: source.keep_inputs.then(|| {
                        let kept = (0..source.columns.len())
                            .filter(|column| !located.holds(*column) && !source.leave_out.contains(column))
                            .map(|column| (source.columns[column].clone(), json_of(field(row, column))));
                        serde_json::Value::Object(kept.collect()).to_string()
                    }),
                }),
                Err(why) => self.skip(source.model, &why, 1, source.at_ms),
            }
        }
    }

    /// Counts `rows` predictions of `model` not logged at `at_ms`, and why.
    pub fn skip(&mut self, model: &str, why: &str, rows: u64, at_ms: i64) {
        let counted = self.skipped.entry((model.to_owned(), why.to_owned())).or_insert((0, at_ms));
        counted.0 += rows;
        counted.1 = counted.1.max(at_ms);
    }

    pub fn is_empty(&self) -> bool {
        self.predictions.is_empty() && self.skipped.is_empty()
    }

    /// How many predictions were gathered.
    pub fn len(&self) -> usize {
        self.predictions.len()
    }

    /// Stores what was gathered, in the caller's transaction. A prediction logged again under
    /// the same id (a logger's retry) replaces the one before.
    pub async fn store(self, conn: &mut AnyConnection) -> Result<()> {
        // Many rows a statement, not one a prediction: far fewer trips through sqlx each second.
        // A logger's retry within one batch: the last one stands (one statement may not name a
        // key twice on PostgreSQL).
        let mut predictions = self.predictions;
        let mut seen = std::collections::HashSet::new();
        predictions.reverse();
        predictions.retain(|p| seen.insert((p.model.clone(), p.inference_id.clone())));
        predictions.reverse();
        for chunk in sql::runs(&predictions, ROWS_PER_INSERT) {
            let text = sql::replace_into(
                crate::store::backend_of_connection(conn),
                "predictions",
                &["model", "inference_id", "version", "at_ms", "class", "probability", "value", "inputs"],
                &["model", "inference_id"],
                chunk.len(),
            );
            let mut insert = sqlx::query(&text);
            for prediction in chunk {
                insert = insert
                    .bind(&prediction.model)
                    .bind(&prediction.inference_id)
                    .bind(&prediction.version)
                    .bind(prediction.at_ms)
                    .bind(&prediction.output.class)
                    .bind(prediction.output.probability)
                    .bind(prediction.output.value)
                    .bind(&prediction.inputs);
            }
            insert.execute(&mut *conn).await?;
        }
        for ((model, why), (count, at_ms)) in &self.skipped {
            sqlx::query(
                "INSERT INTO prediction_skips (model, reason, count, last_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (model, reason) DO UPDATE SET count = prediction_skips.count + excluded.count,
                     last_at_ms = CASE WHEN excluded.last_at_ms > prediction_skips.last_at_ms
                                       THEN excluded.last_at_ms ELSE prediction_skips.last_at_ms END",
            )
            .bind(model)
            .bind(why)
            .bind(*count as i64)
            .bind(*at_ms)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// Why predictions of `model` were not logged since `since_ms`: (why, how many, last time in ms).
pub async fn skipped(conn: &mut AnyConnection, model: &str, since_ms: i64) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT reason, count, last_at_ms FROM prediction_skips WHERE model = $1 AND last_at_ms >= $2
         ORDER BY last_at_ms DESC",
    )
    .bind(model)
    .bind(since_ms)
    .fetch_all(conn)
    .await?)
}

/// Whether any prediction of `model` is logged (one index seek).
pub async fn any(conn: &mut AnyConnection, model: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM predictions WHERE model = $1 LIMIT 1")
        .bind(model)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// The models with logged predictions or counts of predictions not logged.
pub async fn models(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT model FROM predictions UNION SELECT model FROM prediction_skips")
        .fetch_all(conn)
        .await?)
}

/// Deletes `model`'s predictions made, and counts of those not logged last seen, before `before_ms`.
pub async fn prune(conn: &mut AnyConnection, model: &str, before_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM predictions WHERE model = $1 AND at_ms < $2")
        .bind(model)
        .bind(before_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM prediction_skips WHERE model = $1 AND last_at_ms < $2")
        .bind(model)
        .bind(before_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes every logged prediction of `model` and its counts of predictions not logged;
/// returns how many predictions it deleted.
pub async fn delete(conn: &mut AnyConnection, model: &str) -> Result<u64> {
    let deleted = sqlx::query("DELETE FROM predictions WHERE model = $1").bind(model).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM prediction_skips WHERE model = $1").bind(model).execute(&mut *conn).await?;
    Ok(deleted.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_integers_booleans_or_text_and_fractions_are_refused() {
        assert_eq!(class_of(Field::Number(1.0)), Some("1".into()));
        assert_eq!(class_of(Field::Text("true")), Some("1".into()));
        assert_eq!(class_of(Field::Text("cat")), Some("cat".into()));
        assert_eq!(class_of(Field::Number(0.5)), None);
        assert_eq!(class_of(Field::Missing), None);
    }

    #[test]
    fn a_row_is_read_as_the_rule_says_and_a_bad_value_says_what_it_is() {
        let columns: Vec<String> = ["amount", "p", "label"].map(String::from).into();
        let rule = OutputRule::Classifier { label: "label".into(), probability: Some("p".into()) };
        let located = Located::find(&rule, &columns).unwrap();
        let row = [Field::Number(3.0), Field::Number(0.8), Field::Number(1.0)];
        assert_eq!(
            located.read(|i| row[i]),
            Ok(Output { class: Some("1".into()), probability: Some(0.8), value: None })
        );
        assert!(located.holds(1) && located.holds(2) && !located.holds(0));
        let bad = [Field::Number(3.0), Field::Number(1.5), Field::Number(1.0)];
        assert!(located.read(|i| bad[i]).unwrap_err().contains("not a number from 0 to 1"));
        let missing = Located::find(&OutputRule::Regressor { value: "price".into() }, &columns).unwrap_err();
        assert!(missing.contains("price") && missing.contains("amount, p, label"), "{missing}");
        assert_eq!(row_id("abc", 0, 1), "abc");
        assert_eq!(row_id("abc", 2, 3), "abc#2");
    }

    #[tokio::test]
    async fn a_large_gathering_is_stored_whole_and_a_retried_id_replaces_the_one_before() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        let columns: Vec<String> = vec!["price".into()];
        let rule = OutputRule::Regressor { value: "price".into() };
        let mut log = PredictionLog::default();
        for (id, at_ms) in [("batch", 1_000), ("batch", 2_000)] {
            let source = Source {
                model: "price",
                version: "v7",
                id: Some(id),
                at_ms,
                columns: &columns,
                rule: &rule,
                keep_inputs: false,
                leave_out: &[],
            };
            log.log(&source, 1_100, |row, _| Field::Number(row as f64));
        }
        let missing = [Field::Missing];
        let source = Source {
            model: "price",
            version: "",
            id: Some("x"),
            at_ms: 5,
            columns: &columns,
            rule: &rule,
            keep_inputs: false,
            leave_out: &[],
        };
        log.log(&source, 1, |_, column| missing[column]);
        log.store(&mut pool.acquire().await.unwrap()).await.unwrap();
        let (count, newest): (i64, i64) =
            sqlx::query_as("SELECT count(*), min(at_ms) FROM predictions").fetch_one(&pool).await.unwrap();
        assert_eq!((count, newest), (1_100, 2_000), "1,100 rows, each stored again by the retry");
        let skipped = skipped(&mut pool.acquire().await.unwrap(), "price", 0).await.unwrap();
        assert_eq!(skipped, vec![("a predicted value was not a number".to_owned(), 1, 5)]);
    }
}
