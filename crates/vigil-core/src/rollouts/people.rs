//! Who acts and who must sign off: a person's profile (a name and a role, with the OS user
//! recorded beside it), and a model's approval policy.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, VigilError};

/// What a person does on the team; each role signs off what it answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Engineer,
    DataScientist,
    ProductManager,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Engineer, Role::DataScientist, Role::ProductManager];

    /// `data_scientist`
    pub fn key(self) -> &'static str {
        match self {
            Role::Engineer => "engineer",
            Role::DataScientist => "data_scientist",
            Role::ProductManager => "product_manager",
        }
    }

    /// `data scientist`
    pub fn words(self) -> &'static str {
        match self {
            Role::Engineer => "engineer",
            Role::DataScientist => "data scientist",
            Role::ProductManager => "product manager",
        }
    }

    /// Reads `engineer`, `data_scientist` (or `data-scientist`, `ds`), `product_manager` (`pm`).
    pub fn parse(text: &str) -> Result<Role> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "engineer" | "eng" => Ok(Role::Engineer),
            "data_scientist" | "ds" => Ok(Role::DataScientist),
            "product_manager" | "pm" => Ok(Role::ProductManager),
            other => Err(VigilError::invalid(
                "role",
                format!("'{other}' is not a role: use engineer, data_scientist or product_manager."),
            )),
        }
    }
}

/// A person acting: their profile's name and role, and the OS user running Vigil.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Person {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub os_user: String,
}

impl Person {
    /// `name` acting as `role`, as the OS user `os_user`. The name must be 1–64 characters.
    pub fn new(name: &str, role: Role, os_user: &str) -> Result<Person> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(VigilError::invalid(
                "name",
                "A profile's name is 1 to 64 characters, without control characters.",
            ));
        }
        Ok(Person { name: name.to_owned(), role, os_user: os_user.to_owned() })
    }

    /// `name` acting as `role`, as the OS user running this process.
    pub fn here(name: &str, role: Role) -> Result<Person> {
        Person::new(name, role, &crate::options::os_user())
    }

    /// `ana (data scientist)`
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name, self.role.words())
    }
}

/// A person's profile as stored: who they are on the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Profile {
    pub name: String,
    pub role: Role,
}

/// Who must sign off a model's rollouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The roles that must each approve a promotion (and any step that asks for approval).
    pub approvers: Vec<Role>,
    /// Whether a product manager must also sign off before the candidate takes 100 %.
    #[serde(default)]
    pub product_manager_before_full: bool,
    /// Whether a rollback must give a reason.
    #[serde(default = "yes")]
    pub rollback_needs_reason: bool,
    /// How long an approval may wait, in seconds, before the roles are asked again; None: no limit.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub approval_timeout_s: Option<u64>,
    /// Whether a rollout whose approval waited past the limit is aborted.
    #[serde(default)]
    pub abort_on_timeout: bool,
    /// Where to post each request for sign-off (`rollouts/notify.rs`), http or https; None: nowhere.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub notify_url: Option<String>,
}

fn yes() -> bool {
    true
}

impl Default for Policy {
    /// An engineer and a data scientist approve promotions; rollbacks need a reason.
    fn default() -> Self {
        Policy {
            approvers: vec![Role::Engineer, Role::DataScientist],
            product_manager_before_full: false,
            rollback_needs_reason: true,
            approval_timeout_s: None,
            abort_on_timeout: false,
            notify_url: None,
        }
    }
}

impl Policy {
    /// The roles that must approve entering a step of `weight` percent.
    pub fn roles_for(&self, weight: u32) -> Vec<Role> {
        let mut roles = self.approvers.clone();
        if weight == 100 && self.product_manager_before_full {
            roles.push(Role::ProductManager);
        }
        roles.sort();
        roles.dedup();
        roles
    }

    pub fn validate(&self) -> Result<()> {
        if self.approval_timeout_s == Some(0) {
            return Err(VigilError::invalid("approval_timeout_s", "An approval time limit must be at least 1 second."));
        }
        if self.abort_on_timeout && self.approval_timeout_s.is_none() {
            return Err(VigilError::invalid("abort_on_timeout", "Aborting on a late approval needs a time limit."));
        }
        if let Some(url) = &self.notify_url {
            check_notify_url(url)?;
        }
        Ok(())
    }
}

/// Refuses a notification URL that is not an absolute http or https URL with a host.
fn check_notify_url(url: &str) -> Result<()> {
    let refused = || VigilError::invalid("notify_url", "The notification URL must be an http or https URL.");
    let parsed = url::Url::parse(url.trim()).map_err(|_| refused())?;
    match parsed.scheme() {
        "http" | "https" if parsed.host().is_some() => Ok(()),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_notify_url;

    #[test]
    fn only_absolute_http_and_https_notification_urls_are_accepted() {
        assert!(check_notify_url("http://127.0.0.1:9000/hooks/sign-off").is_ok());
        assert!(check_notify_url("https://chat.example.com/hook").is_ok());
        for refused in ["", "chat.example.com/hook", "ftp://example.com/x", "file:///tmp/x", "mailto:a@b.c"] {
            assert!(check_notify_url(refused).is_err(), "{refused:?} was accepted");
        }
    }
}
