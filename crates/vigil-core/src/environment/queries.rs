//! Every statement on the `built_environments`, `environment_sources` and `served_environments`
//! tables. Pins and fingerprints are stored as JSON.

use sqlx::AnyConnection;
use vigil_requirements::{Format, Pin};

use super::{BuiltEnvironment, Fingerprint, MlflowSource};
use crate::store::values::{stamp, Stamp};
use crate::{Result, VigilError};

fn corrupt(what: &str, err: serde_json::Error) -> VigilError {
    VigilError::Internal(format!("a stored {what} cannot be read: {err}"))
}

/// Stores `built` as its model's built environment, replacing the one before.
pub async fn store_built(conn: &mut AnyConnection, built: &BuiltEnvironment) -> Result<()> {
    let format = serde_json::to_value(built.format).map_err(|err| corrupt("format", err))?;
    let pins = serde_json::to_string(&built.pins).map_err(|err| corrupt("pin list", err))?;
    sqlx::query(
        "INSERT INTO built_environments (model, file_name, format, pins, imported_at, person) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (model) DO UPDATE SET file_name = excluded.file_name, format = excluded.format,
             pins = excluded.pins, imported_at = excluded.imported_at, person = excluded.person",
    )
    .bind(&built.model)
    .bind(&built.file_name)
    .bind(format.as_str().unwrap_or("pip"))
    .bind(pins)
    .bind(stamp(built.imported_at))
    .bind(&built.person)
    .execute(conn)
    .await?;
    Ok(())
}

/// `model`'s built environment, if one was uploaded.
pub async fn built(conn: &mut AnyConnection, model: &str) -> Result<Option<BuiltEnvironment>> {
    let row: Option<(String, String, String, Stamp, String)> =
        sqlx::query_as("SELECT file_name, format, pins, imported_at, person FROM built_environments WHERE model = $1")
            .bind(model)
            .fetch_optional(conn)
            .await?;
    let Some((file_name, format, pins, imported_at, person)) = row else { return Ok(None) };
    let format: Format = serde_json::from_value(serde_json::Value::String(format)).map_err(|e| corrupt("format", e))?;
    let pins: Vec<Pin> = serde_json::from_str(&pins).map_err(|err| corrupt("pin list", err))?;
    Ok(Some(BuiltEnvironment { model: model.to_owned(), file_name, format, pins, imported_at: imported_at.0, person }))
}

/// Stores where `model`'s serving environment is logged.
pub async fn store_source(conn: &mut AnyConnection, model: &str, source: &MlflowSource) -> Result<()> {
    sqlx::query(
        "INSERT INTO environment_sources (model, mlflow_url, registered_model, token_ref) VALUES ($1, $2, $3, $4)
         ON CONFLICT (model) DO UPDATE SET mlflow_url = excluded.mlflow_url,
             registered_model = excluded.registered_model, token_ref = excluded.token_ref",
    )
    .bind(model)
    .bind(&source.url)
    .bind(&source.registered_model)
    .bind(&source.token_ref)
    .execute(conn)
    .await?;
    Ok(())
}

/// Where `model`'s serving environment is logged, if a person said.
pub async fn source(conn: &mut AnyConnection, model: &str) -> Result<Option<MlflowSource>> {
    let row: Option<(String, String, Option<String>)> =
        sqlx::query_as("SELECT mlflow_url, registered_model, token_ref FROM environment_sources WHERE model = $1")
            .bind(model)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(url, registered_model, token_ref)| MlflowSource { url, registered_model, token_ref }))
}

/// Stores `fingerprint` as revision `revision_id`'s serving environment.
pub async fn store_fingerprint(conn: &mut AnyConnection, revision_id: i64, fingerprint: &Fingerprint) -> Result<()> {
    let json = serde_json::to_string(fingerprint).map_err(|err| corrupt("fingerprint", err))?;
    sqlx::query(
        "INSERT INTO served_environments (revision_id, gathered_at, fingerprint) VALUES ($1, $2, $3)
         ON CONFLICT (revision_id) DO UPDATE SET gathered_at = excluded.gathered_at, fingerprint = excluded.fingerprint",
    )
    .bind(revision_id)
    .bind(stamp(fingerprint.gathered_at))
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// Revision `revision_id`'s serving environment as last gathered.
pub async fn fingerprint(conn: &mut AnyConnection, revision_id: i64) -> Result<Option<Fingerprint>> {
    let json: Option<String> = sqlx::query_scalar("SELECT fingerprint FROM served_environments WHERE revision_id = $1")
        .bind(revision_id)
        .fetch_optional(conn)
        .await?;
    json.map(|json| serde_json::from_str(&json).map_err(|err| corrupt("fingerprint", err))).transpose()
}

/// The serving environment of each revision of `model` that has one, on any server.
pub async fn fingerprints_of_model(conn: &mut AnyConnection, model: &str) -> Result<Vec<Fingerprint>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT e.fingerprint FROM served_environments e JOIN revisions r ON r.id = e.revision_id
         JOIN models m ON m.id = r.model_id WHERE m.name = $1 ORDER BY r.first_seen_at, r.id",
    )
    .bind(model)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|json| serde_json::from_str(json).map_err(|err| corrupt("fingerprint", err))).collect()
}
