//! The audit log: an append-only record of every change a person made, with who and when.
//! The table refuses updates and deletes (triggers in the migrations), and the trail is
//! tamper-evident: each entry carries the SHA-256 of the entry before it and of its own
//! canonical content with that, so [`verify`] finds an edited, deleted or reordered row.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool, FromRow};
use ts_rs::TS;

use crate::store::values::Stamp;
use crate::Result;

/// The most entries one read returns.
pub const MAX_ENTRIES: u32 = 10_000;

/// What the first entry's `prev_hash` is: there is no entry before it.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow, TS)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    #[sqlx(try_from = "Stamp")]
    pub at: DateTime<Utc>,
    /// Who acted (the OS user for now).
    pub actor: String,
    /// What was done, as a stable dotted name: `server.add`, `server.remove`.
    pub action: String,
    /// What it was done to, by name.
    pub subject: String,
    /// JSON with the specifics (e.g. the server's base URL).
    pub detail: String,
    /// On a team's PostgreSQL, the database role the person connected as; None on SQLite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub database_role: Option<String>,
}

/// A stored entry as the chain sees it: its content as stored, and its two hashes.
#[derive(FromRow)]
struct Stored {
    id: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
    database_role: Option<String>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl Stored {
    /// The hash of this entry's content after `prev_hash`.
    fn hash_after(&self, prev_hash: &str) -> String {
        let content = Content {
            id: self.id,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            subject: &self.subject,
            detail: &self.detail,
            database_role: self.database_role.as_deref(),
        };
        entry_hash(prev_hash, &content)
    }
}

/// What an entry's hash covers.
struct Content<'a> {
    id: i64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    detail: &'a str,
    database_role: Option<&'a str>,
}

/// The SHA-256, in hex, of an entry's canonical content (a JSON array of its fields as stored,
/// in a fixed order, its database role last when it has one) after the hash of the entry before it.
fn entry_hash(prev_hash: &str, entry: &Content) -> String {
    let Content { id, at, actor, action, subject, detail, database_role } = *entry;
    let mut fields = serde_json::json!([id, at, actor, action, subject, detail]);
    if let (Some(role), Some(fields)) = (database_role, fields.as_array_mut()) {
        fields.push(role.into());
    }
    let content = fields.to_string();
    let digest = Sha256::new().chain_update(prev_hash).chain_update(b"\n").chain_update(content).finalize();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Appends one entry, chained to the newest, and returns it as stored. `conn` must be in a
/// write transaction (it is, through `Context::write`), so no other entry comes in between.
pub async fn append(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<AuditEntry> {
    crate::store::lock(&mut *conn, "audit_log").await?;
    let newest: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let (id, prev_hash) = match newest {
        Some((id, hash)) => (id + 1, hash.unwrap_or_else(|| GENESIS.to_owned())),
        None => (1, GENESIS.to_owned()),
    };
    let (at_text, detail) = (at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true), detail.to_string());
    let database_role = crate::store::database_role(&mut *conn).await?;
    let content =
        Content { id, at: &at_text, actor, action, subject, detail: &detail, database_role: database_role.as_deref() };
    let hash = entry_hash(&prev_hash, &content);
    Ok(sqlx::query_as(
        "INSERT INTO audit_log (id, at, actor, action, subject, detail, database_role, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING id, at, actor, action, subject, detail, database_role",
    )
    .bind(id)
    .bind(&at_text)
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(&detail)
    .bind(&database_role)
    .bind(&prev_hash)
    .bind(&hash)
    .fetch_one(conn)
    .await?)
}

/// Chains the entries stored before the trail had hashes (those older than the first entry
/// with a hash, or all when none has one), in one transaction. The migration that added the
/// hashes lets only these be filled in, with their content unchanged. `Engine::open` calls it.
pub async fn chain_legacy(pool: &AnyPool) -> Result<()> {
    let mut tx = crate::store::begin(pool).await?;
    let legacy: Vec<Stored> = sqlx::query_as(
        "SELECT id, at, actor, action, subject, detail, database_role, prev_hash, hash FROM audit_log
         WHERE hash IS NULL AND id < coalesce((SELECT min(id) FROM audit_log WHERE hash IS NOT NULL), 1 << 62)
         ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    if legacy.is_empty() {
        return Ok(());
    }
    let mut prev_hash = GENESIS.to_owned();
    for entry in legacy {
        let hash = entry.hash_after(&prev_hash);
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
            .bind(&prev_hash)
            .bind(&hash)
            .bind(entry.id)
            .execute(&mut *tx)
            .await?;
        prev_hash = hash;
    }
    tx.commit().await?;
    Ok(())
}

/// What checking the trail found.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChainCheck {
    /// How many entries were checked.
    #[ts(type = "number")]
    pub entries: u64,
    /// The first entry that breaks the chain, and how; None when the whole trail holds.
    pub first_broken: Option<BrokenEntry>,
}

/// An entry whose hashes do not match the trail.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BrokenEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub reason: String,
}

/// Recomputes the chain from the first entry: each entry's `prev_hash` must be the hash of the
/// entry before it, and its `hash` that of its own content. Names the first entry that breaks it.
pub async fn verify(pool: &AnyPool) -> Result<ChainCheck> {
    let stored: Vec<Stored> = sqlx::query_as(
        "SELECT id, at, actor, action, subject, detail, database_role, prev_hash, hash FROM audit_log ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let mut prev_hash = GENESIS.to_owned();
    for (checked, entry) in stored.iter().enumerate() {
        let broken = |reason: String| ChainCheck {
            entries: checked as u64 + 1,
            first_broken: Some(BrokenEntry { id: entry.id, reason }),
        };
        let (Some(prev), Some(hash)) = (&entry.prev_hash, &entry.hash) else {
            return Ok(broken("it has no hash: it was written around Vigil".into()));
        };
        if *prev != prev_hash {
            return Ok(broken(
                "it does not follow the entry before it: an entry before it was removed, added or changed".into(),
            ));
        }
        let expected = entry.hash_after(prev);
        if *hash != expected {
            return Ok(broken("its content is not what was recorded: it was edited or moved".into()));
        }
        prev_hash = expected;
    }
    Ok(ChainCheck { entries: stored.len() as u64, first_broken: None })
}

/// The newest `limit` entries (at most [`MAX_ENTRIES`]), newest first.
pub async fn newest(pool: &AnyPool, limit: u32) -> Result<Vec<AuditEntry>> {
    Ok(sqlx::query_as(
        "SELECT id, at, actor, action, subject, detail, database_role FROM audit_log ORDER BY id DESC LIMIT $1",
    )
    .bind(i64::from(limit.min(MAX_ENTRIES)))
    .fetch_all(pool)
    .await?)
}

/// The forms the whole trail exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Json,
}

/// The whole trail, oldest first, with each entry's two hashes, so that a copy can be checked
/// the way [`verify`] checks the database: CSV with a header row, or a JSON array.
pub async fn export(pool: &AnyPool, format: ExportFormat) -> Result<String> {
    let stored: Vec<Stored> = sqlx::query_as(
        "SELECT id, at, actor, action, subject, detail, database_role, prev_hash, hash FROM audit_log ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let fields = |e: &Stored| {
        [e.id.to_string(), e.at.clone(), e.actor.clone(), e.action.clone(), e.subject.clone(), e.detail.clone()]
            .into_iter()
            .chain([e.database_role.clone(), e.prev_hash.clone(), e.hash.clone()].map(Option::unwrap_or_default))
            .collect::<Vec<String>>()
    };
    const HEADER: [&str; 9] =
        ["id", "at", "actor", "action", "subject", "detail", "database_role", "prev_hash", "hash"];
    match format {
        ExportFormat::Json => {
            let rows: Vec<serde_json::Map<String, serde_json::Value>> = stored
                .iter()
                .map(|e| HEADER.iter().zip(fields(e)).map(|(k, v)| ((*k).to_owned(), v.into())).collect())
                .collect();
            serde_json::to_string_pretty(&rows).map_err(|err| crate::VigilError::Internal(err.to_string()))
        }
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let written = std::iter::once(HEADER.map(String::from).to_vec())
                .chain(stored.iter().map(fields))
                .try_for_each(|row| writer.write_record(row));
            written.map_err(|err| crate::VigilError::Internal(err.to_string()))?;
            let bytes = writer.into_inner().map_err(|err| crate::VigilError::Internal(err.to_string()))?;
            String::from_utf8(bytes).map_err(|err| crate::VigilError::Internal(err.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trail of five entries in a fresh database, and the pool.
    async fn trail() -> (tempfile::TempDir, AnyPool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        for n in 1..=5 {
            let mut tx = crate::store::begin(&pool).await.unwrap();
            let detail = serde_json::json!({ "n": n });
            append(&mut tx, "ana", "server.add", &format!("s{n}"), detail, Utc::now()).await.unwrap();
            tx.commit().await.unwrap();
        }
        (dir, pool)
    }

    /// Runs `statements` around the triggers, as someone editing the file by hand would.
    async fn tamper(pool: &AnyPool, statements: &[&str]) {
        let mut conn = pool.acquire().await.unwrap();
        let on_table =
            if crate::store::backend_of(pool) == crate::store::Backend::Postgres { " ON audit_log" } else { "" };
        let triggers =
            ["audit_log_no_update", "audit_log_no_delete"].map(|name| format!("DROP TRIGGER {name}{on_table}"));
        for statement in triggers.iter().map(String::as_str).chain(statements.iter().copied()) {
            sqlx::query(statement).execute(&mut *conn).await.unwrap();
        }
    }

    fn first_broken(check: &ChainCheck) -> Option<i64> {
        check.first_broken.as_ref().map(|broken| broken.id)
    }

    #[tokio::test]
    async fn an_export_holds_every_entry_with_its_hashes_in_csv_and_json() {
        let (_dir, pool) = trail().await;
        let csv = export(&pool, ExportFormat::Csv).await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 6, "a header and five entries: {csv}");
        assert_eq!(lines[0], "id,at,actor,action,subject,detail,database_role,prev_hash,hash");
        assert!(
            lines[1].starts_with("1,") && lines[1].contains(r#""{""n"":1}""#) && lines[1].contains(GENESIS),
            "{}",
            lines[1]
        );
        let json: Vec<serde_json::Value> =
            serde_json::from_str(&export(&pool, ExportFormat::Json).await.unwrap()).unwrap();
        assert_eq!(json.len(), 5);
        assert_eq!(json[1]["prev_hash"], json[0]["hash"], "each entry names the one before it");
    }

    #[tokio::test]
    async fn a_trail_written_by_vigil_holds() {
        let (_dir, pool) = trail().await;
        assert_eq!(verify(&pool).await.unwrap(), ChainCheck { entries: 5, first_broken: None });
    }

    #[tokio::test]
    async fn an_edited_entry_is_named() {
        let (_dir, pool) = trail().await;
        tamper(&pool, &["UPDATE audit_log SET actor = 'mallory' WHERE id = 3"]).await;
        let check = verify(&pool).await.unwrap();
        assert_eq!(first_broken(&check), Some(3));
        assert!(check.first_broken.unwrap().reason.contains("edited"));
    }

    #[tokio::test]
    async fn a_deleted_entry_breaks_the_one_after_it() {
        let (_dir, pool) = trail().await;
        tamper(&pool, &["DELETE FROM audit_log WHERE id = 2"]).await;
        let check = verify(&pool).await.unwrap();
        assert_eq!(first_broken(&check), Some(3));
        assert!(check.first_broken.unwrap().reason.contains("removed"));
    }

    #[tokio::test]
    async fn reordered_entries_are_named() {
        let (_dir, pool) = trail().await;
        let swap = ["UPDATE audit_log SET id = 99 WHERE id = 2", "UPDATE audit_log SET id = 2 WHERE id = 4"];
        tamper(&pool, &[swap[0], swap[1], "UPDATE audit_log SET id = 4 WHERE id = 99"]).await;
        assert_eq!(first_broken(&verify(&pool).await.unwrap()), Some(2));
    }

    #[tokio::test]
    async fn an_entry_written_around_vigil_is_named_and_the_log_still_refuses_edits() {
        let (_dir, pool) = trail().await;
        sqlx::query("INSERT INTO audit_log (id, at, actor, action, subject) VALUES (6, 't', 'eve', 'server.add', 'x')")
            .execute(&pool)
            .await
            .unwrap();
        crate::audit::chain_legacy(&pool).await.unwrap();
        assert_eq!(first_broken(&verify(&pool).await.unwrap()), Some(6), "an entry after the chain is not blessed");
        let edit = sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE id = 1").execute(&pool).await;
        assert!(edit.unwrap_err().to_string().contains("append-only"));
    }

    #[tokio::test]
    async fn entries_from_before_the_chain_are_chained_once_with_their_content_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        for subject in ["a", "b"] {
            sqlx::query(
                "INSERT INTO audit_log (at, actor, action, subject) VALUES ('2026-01-01T00:00:00Z', 'ana', 'x', $1)",
            )
            .bind(subject)
            .execute(&pool)
            .await
            .unwrap();
        }
        chain_legacy(&pool).await.unwrap();
        let mut tx = crate::store::begin(&pool).await.unwrap();
        append(&mut tx, "ana", "server.add", "c", serde_json::json!({}), Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(verify(&pool).await.unwrap(), ChainCheck { entries: 3, first_broken: None });
        let subjects: Vec<String> =
            sqlx::query_scalar("SELECT subject FROM audit_log ORDER BY id").fetch_all(&pool).await.unwrap();
        assert_eq!(subjects, ["a", "b", "c"]);
    }
}
