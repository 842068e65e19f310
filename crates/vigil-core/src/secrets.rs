//! Bearer tokens by reference. A server's token is never stored in Vigil's database, logs or
//! events: the server keeps only where the token is, `env:NAME` (an environment variable of the
//! collector) or `keyring:NAME` (an entry in the OS keyring: the Secret Service on Linux, the
//! Keychain on macOS, the Credential Manager on Windows), and the token is read at each poll.

/// The keyring service Vigil's entries are filed under.
const KEYRING_SERVICE: &str = "vigil";

/// Where a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRef {
    Env(String),
    Keyring(String),
}

impl TokenRef {
    /// Parses `env:NAME` or `keyring:NAME`; the error says what a reference looks like and
    /// never repeats the text (it may be a token pasted by mistake).
    pub fn parse(reference: &str) -> Result<TokenRef, String> {
        let reference = reference.trim();
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
        Err("Token must be given by reference: env:NAME (an environment variable) or keyring:NAME (an entry \
             `vigil secret set NAME` stored in the OS keyring). Vigil never stores the token itself."
            .to_owned())
    }

    /// The token, read now. The error names the reference, never a token.
    pub async fn read(&self) -> Result<String, String> {
        match self {
            TokenRef::Env(variable) => std::env::var(variable)
                .map_err(|_| format!("the token variable {variable} is not set in Vigil's environment")),
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
        }
    }
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
        for bad in ["s3cret-token-value", "env:", "env:1X", "keyring:", "keyring:a b", "vault:x"] {
            let err = TokenRef::parse(bad).unwrap_err();
            assert!(!err.contains("s3cret"), "the error never repeats what may be a token: {err}");
        }
    }
}
