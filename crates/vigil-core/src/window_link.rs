//! Links into the desktop window: the places a link names (`model/NAME`, `drift/NAME`, a view,
//! each also as `vigil://…`), and the one door per database through which a second launch hands
//! its link to the window already open on that database instead of opening a second engine there.
//!
//! The door is a Unix socket in Linux's abstract namespace, named from the user and the
//! database, so it needs no file, vanishes with the process that holds it, and two launches
//! cannot both hold it. A knock is one line (the place as a link, or nothing to just raise the
//! window) answered `ok` once the window took it. Elsewhere than Linux every launch opens its
//! own window.

use std::time::Duration;

use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Serialize;
use ts_rs::TS;

use crate::store::Location;
use crate::{Result, VigilError};

/// The window's views a link may name, as the UI calls them.
pub const VIEWS: [&str; 7] = ["fleet", "alerts", "rollouts", "drift", "cost", "audit", "settings"];

/// A place in the window a link opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// A model's view: its revisions, charts and health.
    Model { name: String },
    /// A model's drift.
    Drift { name: String },
    /// One of the window's views, named as in [`VIEWS`].
    View { view: String },
}

impl Place {
    /// Reads a link as a person or a notification gives it: `model/NAME`, `drift/NAME` or a
    /// view's name, with or without `vigil://` before it; a name may be percent-encoded.
    pub fn parse(text: &str) -> Result<Place> {
        let link = text.trim().strip_prefix("vigil://").unwrap_or(text.trim());
        let link = link.strip_suffix('/').unwrap_or(link);
        let name = |encoded: &str| -> Result<String> {
            let name = percent_decode_str(encoded).decode_utf8().map_err(|_| {
                VigilError::invalid("open", format!("'{text}' names a model in bytes that are not UTF-8."))
            })?;
            if name.is_empty() {
                return Err(VigilError::invalid("open", format!("'{text}' names no model: write model/NAME.")));
            }
            Ok(name.into_owned())
        };
        match link.split_once('/') {
            Some(("model", encoded)) => Ok(Place::Model { name: name(encoded)? }),
            Some(("drift", encoded)) => Ok(Place::Drift { name: name(encoded)? }),
            None if VIEWS.contains(&link) => Ok(Place::View { view: link.to_owned() }),
            _ => Err(VigilError::invalid(
                "open",
                format!(
                    "'{text}' is not a place in Vigil's window: write model/NAME, drift/NAME or one of {}.",
                    VIEWS.join(", ")
                ),
            )),
        }
    }

    /// The place as a link, `vigil://model/NAME`, its name percent-encoded; [`Place::parse`]
    /// reads it back.
    pub fn link(&self) -> String {
        let encode = |name: &str| utf8_percent_encode(name, NON_ALPHANUMERIC).to_string();
        match self {
            Place::Model { name } => format!("vigil://model/{}", encode(name)),
            Place::Drift { name } => format!("vigil://drift/{}", encode(name)),
            Place::View { view } => format!("vigil://{view}"),
        }
    }
}

/// What a launch found at its database's door.
pub enum Knock {
    /// A window is open on this database and took the place: this launch has nothing more to do.
    Answered,
    /// No window is open on this database: this launch opens one, and holds the door.
    Alone(Door),
}

/// The door of the one window on a database, held while the window is open.
pub struct Door {
    #[cfg(target_os = "linux")]
    listener: std::os::unix::net::UnixListener,
}

/// How long a knock waits for the window to take its place, and a door for a knock's line.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// The longest line a door reads: a link to a model with a long name, percent-encoded.
const MAX_LINE: u64 = 4096;

/// Knocks on the door of `location`'s window with `place` (None: just raise the window).
/// Answered when a window took it; Alone, holding the door, when none is open. An error when a
/// window holds the door but does not answer.
pub async fn knock(location: &Location, place: Option<&Place>) -> Result<Knock> {
    imp::knock(location, place).await
}

impl Door {
    /// Listens at the door until the process ends: each knock's place (None: just raise the
    /// window) goes to `open`, and the knock is answered once `open` returned.
    pub fn listen(self, open: impl Fn(Option<Place>) + Send + Sync + 'static) {
        imp::listen(self, open)
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
    use std::sync::Arc;

    use sha2::{Digest, Sha256};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    use super::*;

    /// The door's name: the user's and the database's, hashed.
    fn door_name(location: &Location) -> Result<SocketAddr> {
        let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0);
        let database = match location {
            Location::Sqlite(path) => {
                std::fs::canonicalize(path).or_else(|_| std::path::absolute(path)).unwrap_or_else(|_| path.clone())
            }
            Location::Postgres { url, .. } => url.into(),
        };
        let digest =
            Sha256::new().chain_update(uid.to_le_bytes()).chain_update(database.as_os_str().as_encoded_bytes());
        let name: String = digest.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
        SocketAddr::from_abstract_name(format!("vigil-window-{name}"))
            .map_err(|err| VigilError::Internal(format!("window door name: {err}")))
    }

    pub(super) async fn knock(location: &Location, place: Option<&Place>) -> Result<Knock> {
        let address = door_name(location)?;
        if let Ok(listener) = UnixListener::bind_addr(&address) {
            return Ok(Knock::Alone(Door { listener }));
        }
        let held = || VigilError::Conflict {
            field: "db",
            message: format!(
                "A Vigil window is open on {location} but did not answer: bring it to the front, or close it and \
                     try again."
            ),
        };
        let stream = UnixStream::connect_addr(&address).and_then(|s| s.set_nonblocking(true).map(|_| s));
        let mut stream = tokio::net::UnixStream::from_std(stream.map_err(|_| held())?).map_err(|_| held())?;
        let line = format!("{}\n", place.map(Place::link).unwrap_or_default());
        let answer = tokio::time::timeout(ANSWER_WITHIN, async {
            stream.write_all(line.as_bytes()).await?;
            let mut answer = String::new();
            BufReader::new(stream).take(16).read_line(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        })
        .await;
        match answer {
            Ok(Ok(answer)) if answer.trim() == "ok" => Ok(Knock::Answered),
            _ => Err(held()),
        }
    }

    pub(super) fn listen(door: Door, open: impl Fn(Option<Place>) + Send + Sync + 'static) {
        let open = Arc::new(open);
        let listener =
            door.listener.set_nonblocking(true).and_then(|_| tokio::net::UnixListener::from_std(door.listener));
        let listener = match listener {
            Ok(listener) => listener,
            Err(err) => return tracing::warn!("the window's door cannot listen: {err}"),
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let open = open.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    let mut bounded = (&mut stream).take(MAX_LINE);
                    let read = tokio::time::timeout(ANSWER_WITHIN, bounded.read_line(&mut line)).await;
                    if !matches!(read, Ok(Ok(_))) || !line.ends_with('\n') {
                        return;
                    }
                    let place = match line.trim() {
                        "" => None,
                        link => match Place::parse(link) {
                            Ok(place) => Some(place),
                            Err(err) => return tracing::warn!("a knock at the window's door: {err}"),
                        },
                    };
                    open(place);
                    let _ = stream.get_mut().write_all(b"ok\n").await;
                });
            }
        });
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    pub(super) async fn knock(_location: &Location, _place: Option<&Place>) -> Result<Knock> {
        Ok(Knock::Alone(Door {}))
    }

    pub(super) fn listen(_door: Door, _open: impl Fn(Option<Place>) + Send + Sync + 'static) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_names_a_model_its_drift_or_a_view_and_reads_back_from_its_own_form() {
        let model = Place::Model { name: "fraud".into() };
        assert_eq!(Place::parse("model/fraud").unwrap(), model);
        assert_eq!(Place::parse("vigil://model/fraud/").unwrap(), model);
        assert_eq!(Place::parse("drift/churn").unwrap(), Place::Drift { name: "churn".into() });
        assert_eq!(Place::parse("vigil://alerts").unwrap(), Place::View { view: "alerts".into() });
        for name in ["recsys/two tower", "a%b", "x\ny", "\u{202E}exe.txt", "🔥"] {
            let place = Place::Model { name: name.into() };
            assert_eq!(Place::parse(&place.link()).unwrap(), place, "{name:?} through {}", place.link());
        }
    }

    #[test]
    fn a_link_to_nowhere_says_which_places_there_are() {
        for bad in ["", "models/fraud", "model/", "vigil://nowhere", "model/%FF"] {
            let err = Place::parse(bad).unwrap_err().to_string();
            assert!(err.contains("model/") || err.contains("UTF-8"), "{bad:?}: {err}");
        }
        let err = Place::parse("nowhere").unwrap_err().to_string();
        assert!(err.contains("model/NAME, drift/NAME or one of fleet, alerts"), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_second_launch_on_a_database_hands_its_place_to_the_window_open_there_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let (ours, other) = (Location::Sqlite(dir.path().join("a.db")), Location::Sqlite(dir.path().join("b.db")));
        let Knock::Alone(door) = knock(&ours, None).await.unwrap() else { panic!("nobody holds a new database") };
        let (sent, mut received) = tokio::sync::mpsc::unbounded_channel();
        door.listen(move |place| sent.send(place).unwrap());

        let churn = Place::Model { name: "churn/eu west".into() };
        assert!(matches!(knock(&ours, Some(&churn)).await.unwrap(), Knock::Answered));
        assert_eq!(received.recv().await.unwrap(), Some(churn));
        assert!(matches!(knock(&ours, None).await.unwrap(), Knock::Answered));
        assert_eq!(received.recv().await.unwrap(), None);
        // The same file by another path is the same database; another file has its own door.
        let roundabout = Location::Sqlite(dir.path().join(".").join("a.db"));
        assert!(matches!(knock(&roundabout, None).await.unwrap(), Knock::Answered));
        assert!(matches!(knock(&other, None).await.unwrap(), Knock::Alone(_)));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_door_held_by_something_that_does_not_answer_is_an_error_naming_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("a.db"));
        let Knock::Alone(_silent) = knock(&location, None).await.unwrap() else { panic!("a new database") };
        let err = knock(&location, None).await.err().expect("no answer").to_string();
        assert!(err.contains("did not answer") && err.contains("a.db"), "{err}");
    }
}
