//! How values the engine's types hold are written to and read from a column, the same way in
//! both stores. The query modules speak to either store through sqlx's `Any` driver, which
//! carries only numbers, text and bytes, so a time, a flag and a JSON document each get a
//! wrapper here:
//!
//! - [`Stamp`] (and [`MaybeStamp`] for a column that may be NULL): a UTC time as RFC 3339 text,
//!   exactly as sqlx wrote `DateTime<Utc>` into SQLite before there was a second store, so a
//!   database written then reads the same now, and text order is time order within one format.
//! - [`Day`]: a calendar day as `YYYY-MM-DD` text.
//! - [`Flag`]: a yes/no read back from SQLite's 0/1 integer or PostgreSQL's `boolean`.
//! - [`Json`]: a document stored as JSON text.
//! - [`text_column!`]: an enum stored as its serde name (`ServerKind`, `HealthState`, …).

use std::ops::{Deref, DerefMut};

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyTypeInfo;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Decode, Encode, Type, ValueRef};

type AnyValue<'r> = <Any as sqlx::Database>::ValueRef<'r>;
type AnyBuffer<'q> = <Any as sqlx::Database>::ArgumentBuffer<'q>;

/// A UTC time kept as RFC 3339 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(pub DateTime<Utc>);

impl Stamp {
    /// The text a time is stored as: RFC 3339 with as many fraction digits as it needs.
    pub fn text(at: DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
    }

    /// Reads stored text: RFC 3339, or SQLite's `datetime()` form taken as UTC.
    pub fn parse(text: &str) -> Result<DateTime<Utc>, BoxDynError> {
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(at.with_timezone(&Utc));
        }
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .map(|naive| naive.and_utc())
            .map_err(|_| format!("'{text}' is not a stored time (RFC 3339 expected)").into())
    }
}

impl From<DateTime<Utc>> for Stamp {
    fn from(at: DateTime<Utc>) -> Stamp {
        Stamp(at)
    }
}

impl From<Stamp> for DateTime<Utc> {
    fn from(stamp: Stamp) -> DateTime<Utc> {
        stamp.0
    }
}

impl Type<Any> for Stamp {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for Stamp {
    fn encode_by_ref(&self, buf: &mut AnyBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(Stamp::text(self.0), buf)
    }
}

impl<'r> Decode<'r, Any> for Stamp {
    fn decode(value: AnyValue<'r>) -> Result<Self, BoxDynError> {
        Stamp::parse(&<String as Decode<'r, Any>>::decode(value)?).map(Stamp)
    }
}

/// A time (or a time that may be missing, or a reference to either) as a bind takes it:
/// `.bind(stamp(at))`.
pub fn stamp<T: IntoStamp>(at: T) -> T::Stored {
    at.into_stamp()
}

/// What [`stamp`] accepts.
pub trait IntoStamp {
    type Stored;
    fn into_stamp(self) -> Self::Stored;
}

impl IntoStamp for DateTime<Utc> {
    type Stored = Stamp;
    fn into_stamp(self) -> Stamp {
        Stamp(self)
    }
}

impl IntoStamp for &DateTime<Utc> {
    type Stored = Stamp;
    fn into_stamp(self) -> Stamp {
        Stamp(*self)
    }
}

impl<T: IntoStamp> IntoStamp for Option<T> {
    type Stored = Option<T::Stored>;
    fn into_stamp(self) -> Option<T::Stored> {
        self.map(IntoStamp::into_stamp)
    }
}

impl IntoStamp for &Option<DateTime<Utc>> {
    type Stored = Option<Stamp>;
    fn into_stamp(self) -> Option<Stamp> {
        self.map(Stamp)
    }
}

/// A time that may be missing (a NULL column), for rows read into structs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeStamp(pub Option<DateTime<Utc>>);

impl From<MaybeStamp> for Option<DateTime<Utc>> {
    fn from(stamp: MaybeStamp) -> Option<DateTime<Utc>> {
        stamp.0
    }
}

impl Type<Any> for MaybeStamp {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty) || sqlx::TypeInfo::is_null(ty)
    }
}

impl<'r> Decode<'r, Any> for MaybeStamp {
    fn decode(value: AnyValue<'r>) -> Result<Self, BoxDynError> {
        if value.is_null() {
            return Ok(MaybeStamp(None));
        }
        Stamp::decode(value).map(|stamp| MaybeStamp(Some(stamp.0)))
    }
}

/// A calendar day kept as `YYYY-MM-DD` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub NaiveDate);

impl Type<Any> for Day {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for Day {
    fn encode_by_ref(&self, buf: &mut AnyBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(self.0.format("%Y-%m-%d").to_string(), buf)
    }
}

impl<'r> Decode<'r, Any> for Day {
    fn decode(value: AnyValue<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<'r, Any>>::decode(value)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Day)
            .map_err(|_| format!("'{text}' is not a stored day").into())
    }
}

/// A yes/no column: SQLite keeps 0 or 1, PostgreSQL a `boolean`. Binding a `bool` works for
/// both; reading one back goes through `Flag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <bool as Type<Any>>::compatible(ty) || <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValue<'r>) -> Result<Self, BoxDynError> {
        match <i64 as Decode<'r, Any>>::decode(value.clone()) {
            Ok(number) => Ok(Flag(number != 0)),
            Err(_) => <bool as Decode<'r, Any>>::decode(value).map(Flag),
        }
    }
}

/// A document kept as JSON text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> Type<Any> for Json<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'q, T: Serialize> Encode<'q, Any> for Json<T> {
    fn encode_by_ref(&self, buf: &mut AnyBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(serde_json::to_string(&self.0)?, buf)
    }
}

impl<'r, T: DeserializeOwned> Decode<'r, Any> for Json<T> {
    fn decode(value: AnyValue<'r>) -> Result<Self, BoxDynError> {
        Ok(Json(serde_json::from_str(&<String as Decode<'r, Any>>::decode(value)?)?))
    }
}

/// Stores a unit-variant enum as the text serde names it (its `rename_all`), in either store.
macro_rules! text_column {
    ($($kind:ty),+ $(,)?) => {$(
        impl sqlx::Type<sqlx::Any> for $kind {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $kind {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                match serde_json::to_value(self)? {
                    serde_json::Value::String(name) => <String as sqlx::Encode<'q, sqlx::Any>>::encode(name, buf),
                    other => Err(format!("{other} is not a name").into()),
                }
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $kind {
            fn decode(value: <sqlx::Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let name = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(serde_json::from_value(serde_json::Value::String(name))?)
            }
        }
    )+};
}
pub(crate) use text_column;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_written_as_sqlx_wrote_it_before_and_read_back_from_either_form() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T09:30:00.25Z").unwrap().with_timezone(&Utc);
        assert_eq!(Stamp::text(at), "2026-12-03T09:30:00.250+00:00");
        assert_eq!(Stamp::parse("2026-12-03T09:30:00.250+00:00").unwrap(), at);
        assert_eq!(Stamp::parse("2026-12-03 09:30:00.25").unwrap(), at, "SQLite's datetime() form");
        assert!(Stamp::parse("yesterday").unwrap_err().to_string().contains("'yesterday'"));
    }
}
