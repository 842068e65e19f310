//! Each model's settings for its prediction log: how many days predictions are kept (30 unless
//! set), its positive class (1 unless set), and whether requests' values are kept beside them
//! (not unless set). Every statement on the `prediction_settings` table.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::AnyConnection;
use ts_rs::TS;

use crate::store::values::Flag;
use crate::Result;

/// How long predictions are kept unless a model says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The positive class unless a model declares another.
pub const DEFAULT_POSITIVE_CLASS: &str = "1";
/// The longest retention that can be set (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3_650;

/// A model's prediction log settings, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PredictionSettings {
    pub model: String,
    pub retention_days: u32,
    pub positive_class: String,
    pub keep_inputs: bool,
}

/// One setting to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    RetentionDays(u32),
    PositiveClass(String),
    KeepInputs(bool),
}

/// `model`'s settings.
pub async fn of(conn: &mut AnyConnection, model: &str) -> Result<PredictionSettings> {
    let row: Option<(Option<i64>, Option<String>, Flag)> =
        sqlx::query_as("SELECT retention_days, positive_class, keep_inputs FROM prediction_settings WHERE model = $1")
            .bind(model)
            .fetch_optional(conn)
            .await?;
    let (days, positive, keep_inputs) = row.unwrap_or((None, None, Flag(false)));
    Ok(PredictionSettings {
        model: model.to_owned(),
        retention_days: days.map_or(DEFAULT_RETENTION_DAYS, |days| days as u32),
        positive_class: positive.unwrap_or_else(|| DEFAULT_POSITIVE_CLASS.to_owned()),
        keep_inputs: keep_inputs.0,
    })
}

/// Stores one of `model`'s settings, the others as they were.
pub async fn set(conn: &mut AnyConnection, model: &str, setting: &Setting) -> Result<()> {
    sqlx::query("INSERT INTO prediction_settings (model) VALUES ($1) ON CONFLICT (model) DO NOTHING")
        .bind(model)
        .execute(&mut *conn)
        .await?;
    let query = match setting {
        Setting::RetentionDays(days) => {
            sqlx::query("UPDATE prediction_settings SET retention_days = $1 WHERE model = $2").bind(i64::from(*days))
        }
        Setting::PositiveClass(class) => {
            sqlx::query("UPDATE prediction_settings SET positive_class = $1 WHERE model = $2").bind(class.clone())
        }
        Setting::KeepInputs(keep) => {
            sqlx::query("UPDATE prediction_settings SET keep_inputs = $1 WHERE model = $2").bind(*keep)
        }
    };
    query.bind(model).execute(conn).await?;
    Ok(())
}

/// The retention of each model that set one, in days.
pub async fn retentions(conn: &mut AnyConnection) -> Result<HashMap<String, u32>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT model, retention_days FROM prediction_settings WHERE retention_days IS NOT NULL")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(model, days)| (model, days as u32)).collect())
}
