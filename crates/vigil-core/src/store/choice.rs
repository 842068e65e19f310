//! The store a person chose in the desktop's Settings: a team's PostgreSQL (its URL and its
//! password by reference), kept in `store.json` beside the default database file so that the
//! next start opens it. `--db` and `VIGIL_DB` still come first. A choice is saved only once the
//! database has been reached with it (and migrated), so a typo never leaves Vigil unable to
//! start; forgetting it goes back to this computer's own file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Location;
use crate::secrets::TokenRef;
use crate::{Result, VigilError};

/// A team store as a person gives it in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreChoice {
    /// `postgres://USER@HOST:PORT/DATABASE`, without a password.
    pub db: String,
    /// Where the password is read from: `env:NAME` or `keyring:NAME`; None when it needs none.
    pub db_password: Option<String>,
}

impl StoreChoice {
    /// The location this choice names, or what is wrong with it.
    pub fn location(&self) -> Result<Location> {
        let db = self.db.trim();
        let location = Location::parse(db)?;
        if !matches!(location, Location::Postgres { .. }) {
            return Err(VigilError::invalid(
                "db",
                "Give a team store as postgres://USER@HOST:PORT/DATABASE; this computer's own file needs no setting.",
            ));
        }
        let password = match self.db_password.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(reference) => Some(TokenRef::parse(reference).map_err(|err| VigilError::invalid("db_password", err))?),
            None => None,
        };
        Ok(location.with_password(password))
    }
}

/// What the Settings view shows about the store, and whether a choice made there applies.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StoreSettings {
    /// The store this instance opened: a file's path, or the team's URL.
    pub current: String,
    /// Whether it is a team's PostgreSQL.
    pub team: bool,
    /// The team store chosen in Settings, if any.
    pub saved: Option<StoreChoice>,
    /// What chose the store instead (`--db`, `VIGIL_DB`): a choice made in Settings applies only
    /// when Vigil starts without it.
    pub chosen_elsewhere: Option<String>,
}

impl StoreSettings {
    /// The settings of an instance that opened `current`; `chosen_elsewhere` as
    /// [`super::chosen_elsewhere`] said at its start.
    pub fn of(current: &Location, chosen_elsewhere: Option<&str>) -> StoreSettings {
        StoreSettings {
            current: current.to_string(),
            team: current.backend() == super::Backend::Postgres,
            saved: choice_file().ok().and_then(|file| saved(&file)),
            chosen_elsewhere: chosen_elsewhere.map(str::to_owned),
        }
    }
}

/// Where a choice is kept: beside the default database file.
pub fn choice_file() -> Result<PathBuf> {
    Ok(super::default_db_path()?.with_file_name("store.json"))
}

/// The choice kept in `file`, if there is one. A file that cannot be read is reported and
/// ignored, so Vigil still starts on its own file.
pub fn saved(file: &Path) -> Option<StoreChoice> {
    let text = std::fs::read_to_string(file).ok()?;
    match serde_json::from_str(&text) {
        Ok(choice) => Some(choice),
        Err(err) => {
            tracing::warn!("{} is not a store choice ({err}); using this computer's own database", file.display());
            None
        }
    }
}

/// Reaches the store `choice` names (opening and migrating it, as every start does) and, when it
/// answers, keeps the choice in `file` for the next start. None forgets the choice. Returns the
/// location the next start opens.
pub async fn choose(file: &Path, choice: Option<&StoreChoice>) -> Result<Location> {
    let Some(choice) = choice else {
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(VigilError::invalid("db", format!("{} could not be removed: {err}", file.display())))
            }
        }
        return Ok(Location::Sqlite(super::default_db_path()?));
    };
    let location = choice.location()?;
    super::open(&location).await?.close().await;
    let text = serde_json::to_string_pretty(choice).map_err(|err| VigilError::Internal(err.to_string()))?;
    let kept = (|| {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let partial = file.with_extension("json.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, file)
    })();
    kept.map_err(|err| {
        VigilError::invalid("db", format!("The choice could not be kept in {}: {err}", file.display()))
    })?;
    Ok(location)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(db: &str, password: Option<&str>) -> StoreChoice {
        StoreChoice { db: db.into(), db_password: password.map(str::to_owned) }
    }

    #[tokio::test]
    async fn a_choice_is_kept_only_once_its_database_answers_and_is_forgotten_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.json");
        let refused = |err: VigilError| err.to_string();

        let typo = choose(&file, Some(&choice("postgress//team", None))).await.unwrap_err();
        assert!(refused(typo).contains("postgres://USER@HOST:PORT/DATABASE"));
        let inline = choose(&file, Some(&choice("postgres://ada:secret@127.0.0.1/team", None))).await.unwrap_err();
        assert!(refused(inline).contains("by reference"));
        let reference = choose(&file, Some(&choice("postgres://ada@127.0.0.1/team", Some("hunter2")))).await;
        assert!(refused(reference.unwrap_err()).contains("env:"));
        // Nothing listens on this port: the database's own error, and nothing kept.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let down = choose(&file, Some(&choice(&format!("postgres://ada@127.0.0.1:{port}/team"), None))).await;
        let down = refused(down.unwrap_err());
        assert!(down.contains("could not connect") && down.contains("Connection refused"), "{down}");
        assert!(!file.exists() && saved(&file).is_none(), "a store that did not answer is not kept");

        std::fs::write(&file, "{not json").unwrap();
        assert_eq!(saved(&file), None, "a damaged file is ignored");
        if let Ok(server) = std::env::var(crate::store::testing::POSTGRES_ENV) {
            let Location::Postgres { url, .. } = crate::store::testing::new_database(&server).await else {
                unreachable!("a new database is on PostgreSQL")
            };
            let team = choice(&url, None);
            choose(&file, Some(&team)).await.expect("the team store answers");
            assert_eq!(saved(&file), Some(team));
        }
        choose(&file, None).await.unwrap();
        assert!(!file.exists());
    }
}
