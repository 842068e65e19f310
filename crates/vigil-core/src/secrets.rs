//! Secrets by reference: bearer tokens, and a server's TLS certificate authority and client
//! certificate. None is ever stored in Vigil's database, logs or events: the server keeps only
//! where it is, `env:NAME` (an environment variable of the collector), `keyring:NAME` (an entry
//! in the OS keyring: the Secret Service on Linux, the Keychain on macOS, the Credential Manager
//! on Windows) or `file:/PATH` (a file the collector may read, such as a Kubernetes service
//! account's token or a PEM file), and it is read when needed.

/// The keyring service Vigil's entries are filed under.
const KEYRING_SERVICE: &str = "vigil";

/// The most of a referenced file Vigil reads.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Where a token (or other secret) is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRef {
    Env(String),
    Keyring(String),
    /// An absolute path.
    File(std::path::PathBuf),
}

impl TokenRef {
    /// Parses `env:NAME`, `keyring:NAME` or `file:/PATH`; the error says what a reference looks
    /// like and never repeats the text (it may be a token pasted by mistake).
    pub fn parse(reference: &str) -> Result<TokenRef, String> {
        Self::parse_as(reference, "Token")
    }

    /// As [`TokenRef::parse`], the error naming the secret as `what` ("Token", "Client
    /// certificate").
    pub fn parse_as(reference: &str, what: &str) -> Result<TokenRef, String> {
        let reference = reference.trim();
        if let Some(path) = reference.strip_prefix("file:") {
            let path = std::path::Path::new(path);
            return if path.is_absolute() {
                Ok(TokenRef::File(path.to_owned()))
            } else {
                Err(format!("{what} file must be an absolute path, e.g. file:/etc/vigil/fraud-prod.pem."))
            };
        }
        if let Some(name) = reference.strip_prefix("env:") {
            let valid = (1..=128).contains(&name.len())
                && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return if valid {
                Ok(TokenRef::Env(name.to_owned()))
            } else {
                Err(format!(
                    "Token variable '{name}' is not an environment variable name: use letters, digits and '_'."
                ))
            };
        }
        if let Some(name) = reference.strip_prefix("keyring:") {
            return valid_entry_name(name).map(|name| TokenRef::Keyring(name.to_owned()));
        }
        Err(format!(
            "{what} must be given by reference: env:NAME (an environment variable), keyring:NAME (an entry `vigil \
             secret set NAME` stored in the OS keyring) or file:/PATH (a file). Vigil never stores the secret itself."
        ))
    }

    /// The token, read now. The error names the reference, never a token.
    pub async fn read(&self) -> Result<String, String> {
        match self {
            TokenRef::Env(variable) => std::env::var(variable)
                .map_err(|_| format!("the token variable {variable} is not set in Vigil's environment")),
            TokenRef::File(path) => read_file(path).await,
            TokenRef::Keyring(name) => {
                let name = name.clone();
                let read = tokio::task::spawn_blocking(move || entry(&name)?.get_password().map_err(|e| (name, e)));
                match read.await {
                    Ok(Ok(token)) => Ok(token),
                    Ok(Err((name, error))) => Err(describe(&name, &error)),
                    Err(_) => Err("reading the keyring failed".to_owned()),
                }
            }
        }
    }
}

impl std::fmt::Display for TokenRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenRef::Env(name) => write!(f, "env:{name}"),
            TokenRef::Keyring(name) => write!(f, "keyring:{name}"),
            TokenRef::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// The text of the file at `path`, at most [`MAX_FILE_BYTES`]; the error names the file.
async fn read_file(path: &std::path::Path) -> Result<String, String> {
    let path = path.to_owned();
    let read = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let shown = path.display();
        let file = std::fs::File::open(&path).map_err(|error| format!("cannot read file {shown}: {error}"))?;
        let mut text = String::new();
        let mut limited = file.take(MAX_FILE_BYTES + 1);
        limited.read_to_string(&mut text).map_err(|error| format!("cannot read file {shown} as text: {error}"))?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(format!("file {shown} is over {} KB; Vigil reads no more", MAX_FILE_BYTES >> 10));
        }
        Ok(text)
    });
    read.await.unwrap_or_else(|_| Err("reading the file failed".to_owned()))
}

/// A keyring entry name: 1 to 128 characters of letters, digits, '.', '_' or '-'.
pub fn valid_entry_name(name: &str) -> Result<&str, String> {
    let valid = (1..=128).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(name)
    } else {
        Err(format!("Keyring entry '{name}' must be 1 to 128 letters, digits, '.', '_' or '-', e.g. fraud-prod."))
    }
}

fn entry(name: &str) -> Result<keyring::Entry, (String, keyring::Error)> {
    keyring::Entry::new(KEYRING_SERVICE, name).map_err(|e| (name.to_owned(), e))
}

/// Stores `token` in the OS keyring as entry `name`, replacing any there. Blocks; the error is
/// a sentence.
pub fn store(name: &str, token: &str) -> Result<(), String> {
    let name = valid_entry_name(name)?;
    let stored = entry(name).and_then(|entry| entry.set_password(token).map_err(|e| (name.to_owned(), e)));
    stored.map_err(|(name, error)| sentence(&describe(&name, &error)))
}

/// Removes entry `name` from the OS keyring. Blocks; the error is a sentence.
pub fn remove(name: &str) -> Result<(), String> {
    let name = valid_entry_name(name)?;
    let removed = entry(name).and_then(|entry| entry.delete_credential().map_err(|e| (name.to_owned(), e)));
    removed.map_err(|(name, error)| sentence(&describe(&name, &error)))
}

/// `text` with a capital first letter and a final period.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// Words for a keyring failure, with what to do.
fn describe(name: &str, error: &keyring::Error) -> String {
    match error {
        keyring::Error::NoEntry => {
            format!("the keyring has no entry '{name}': store the token with `vigil secret set {name}`")
        }
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => format!(
            "the OS keyring could not be reached for '{name}': on Linux, a Secret Service such as GNOME Keyring \
             must be running and unlocked"
        ),
        _ => format!("the keyring entry '{name}' could not be used"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_an_environment_variable_or_a_keyring_entry() {
        assert_eq!(TokenRef::parse(" env:FRAUD_TOKEN "), Ok(TokenRef::Env("FRAUD_TOKEN".into())));
        assert_eq!(TokenRef::parse("keyring:fraud-prod.v2"), Ok(TokenRef::Keyring("fraud-prod.v2".into())));
        assert_eq!(TokenRef::parse("keyring:fraud").unwrap().to_string(), "keyring:fraud");
        assert_eq!(TokenRef::parse("file:/var/run/secrets/token").unwrap().to_string(), "file:/var/run/secrets/token");
        for bad in ["s3cret-token-value", "env:", "env:1X", "keyring:", "keyring:a b", "vault:x", "file:token.txt"] {
            let err = TokenRef::parse(bad).unwrap_err();
            assert!(!err.contains("s3cret"), "the error never repeats what may be a token: {err}");
        }
    }
}
