//! What runs where: each server's placements (instance type and replicas from a time on), as a
//! person set them (`vigil cost place`, the window) or as the server's labels say.
//!
//! Labels: a server labelled `instance=PROVIDER/REGION/TYPE` (or `instance=TYPE` when the
//! catalog holds one type of that name) and optionally `replicas=N` (1 when absent) runs that,
//! as long as no person has placed it. The design keeps history piecewise with one table: when
//! the cost front reads the report, it first stores a placement row `placed_by = label` for each
//! server whose labels name something other than its last label row — since the server was
//! registered for its first, since now for a change. A person's placement always wins: once a
//! server has one, its labels are no longer read. Removing the label keeps the last placement
//! (label `replicas=0` says it stopped). A label the catalog cannot price is a problem, given
//! back in words, never a silent zero.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use ts_rs::TS;

use super::catalog::InstanceType;
use super::spend::Placed;
use crate::servers::{queries as servers, Labels};
use crate::store::values::{stamp, Stamp};
use crate::{Result, VigilError};

/// Who placed a server from its labels.
pub const BY_LABEL: &str = "label";

/// A server's placement from a time on.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Placement {
    pub server: String,
    pub provider: String,
    pub region: String,
    pub instance_type: String,
    pub replicas: u32,
    pub since: DateTime<Utc>,
    /// The instance's on-demand price an hour, from the catalog (None: no longer in it).
    pub hourly: Option<f64>,
    /// The instance's vCPUs, from the catalog.
    pub vcpu: Option<u32>,
    /// `label` when read from the server's labels, else the person's name (or `cli`).
    pub placed_by: String,
}

type PlacementRow = (String, String, String, String, i64, Stamp, Option<f64>, Option<i64>, String);

/// Every placement (of one server: Some), oldest first, with its price.
pub async fn placements(conn: &mut AnyConnection, server: Option<&str>) -> Result<Vec<Placement>> {
    let rows: Vec<PlacementRow> = sqlx::query_as(
        "SELECT p.server, p.provider, p.region, p.instance_type, p.replicas, p.since, t.on_demand_hourly, t.vcpu,
                p.placed_by
         FROM placements p LEFT JOIN instance_types t
           ON t.provider = p.provider AND t.region = p.region AND t.name = p.instance_type
         WHERE $1 IS NULL OR p.server = $1 ORDER BY p.server, p.since, p.id",
    )
    .bind(server)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(server, provider, region, instance_type, replicas, since, hourly, vcpu, placed_by)| Placement {
            server,
            provider,
            region,
            instance_type,
            replicas: replicas.clamp(0, i64::from(u32::MAX)) as u32,
            since: since.0,
            hourly,
            vcpu: vcpu.map(|v| v.clamp(0, i64::from(u32::MAX)) as u32),
            placed_by,
        })
        .collect())
}

/// The pieces of a server's placements, for the arithmetic.
pub fn placed(group: &[Placement]) -> Vec<Placed> {
    group
        .iter()
        .map(|p| Placed { since_ms: p.since.timestamp_millis(), hourly: p.hourly.unwrap_or(0.0), replicas: p.replicas })
        .collect()
}

/// The servers placed on `provider region instance_type` now or at any time before, by name.
pub async fn servers_placed_on(
    conn: &mut AnyConnection,
    (provider, region, instance_type): (&str, &str, &str),
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT server FROM placements WHERE provider = $1 AND region = $2 AND instance_type = $3 ORDER BY server",
    )
    .bind(provider)
    .bind(region)
    .bind(instance_type)
    .fetch_all(conn)
    .await?)
}

/// Records `placement`. The catalog must hold its instance type.
pub async fn insert_placement(conn: &mut AnyConnection, placement: &Placement) -> Result<()> {
    let known: Option<f64> = sqlx::query_scalar(
        "SELECT on_demand_hourly FROM instance_types WHERE provider = $1 AND region = $2 AND name = $3",
    )
    .bind(&placement.provider)
    .bind(&placement.region)
    .bind(&placement.instance_type)
    .fetch_optional(&mut *conn)
    .await?;
    if known.is_none() {
        let message = format!(
            "The price catalog has no {} {} {}: add it (vigil cost catalog import) or name one it holds (vigil cost catalog list).",
            placement.provider, placement.region, placement.instance_type
        );
        return Err(VigilError::invalid("instance_type", message));
    }
    sqlx::query(
        "INSERT INTO placements (server, provider, region, instance_type, replicas, since, placed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&placement.server)
    .bind(&placement.provider)
    .bind(&placement.region)
    .bind(&placement.instance_type)
    .bind(i64::from(placement.replicas))
    .bind(stamp(placement.since))
    .bind(&placement.placed_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a server's labels say it runs on: None when it has no `instance` label; else the
/// catalog's instance type and the replicas, or what is wrong in words.
pub fn from_labels<'a>(
    server: &str,
    labels: &Labels,
    catalog: &'a [InstanceType],
) -> Option<std::result::Result<(&'a InstanceType, u32), String>> {
    let instance = labels.get("instance")?.trim();
    let replicas = match labels.get("replicas") {
        None => 1,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(replicas) => replicas,
            Err(_) => {
                return Some(Err(format!(
                    "{server}'s label replicas={text} is not a whole number: the server is not costed until it is."
                )))
            }
        },
    };
    let found: Vec<&InstanceType> = match instance.splitn(3, '/').collect::<Vec<_>>()[..] {
        [provider, region, name] => catalog.iter().filter(|t| t.key() == (provider, region, name)).collect(),
        [name] => catalog.iter().filter(|t| t.name == name).collect(),
        _ => Vec::new(),
    };
    Some(match found[..] {
        [one] => Ok((one, replicas)),
        [] => Err(format!(
            "{server}'s label instance={instance} names no instance type of the price catalog, so the server is not \
             costed: add it (vigil cost catalog import) or label it PROVIDER/REGION/TYPE as the catalog has it."
        )),
        _ => Err(format!(
            "{server}'s label instance={instance} matches {} instance types of the price catalog: label it \
             PROVIDER/REGION/TYPE, e.g. instance={}/{}/{instance}.",
            found.len(),
            found[0].provider,
            found[0].region
        )),
    })
}

/// Stores a label placement for each server whose labels name something other than its last
/// label placement, unless a person has placed it (see the module doc). Returns the problems
/// with labels, in words.
pub async fn place_from_labels(
    conn: &mut AnyConnection,
    catalog: &[InstanceType],
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let all = placements(conn, None).await?;
    for server in servers::list_in(conn).await? {
        let history: Vec<&Placement> = all.iter().filter(|p| p.server == server.name).collect();
        if history.iter().any(|p| p.placed_by != BY_LABEL) {
            continue;
        }
        let (instance, replicas) = match from_labels(&server.name, &server.labels, catalog) {
            None => continue,
            Some(Err(problem)) => {
                problems.push(problem);
                continue;
            }
            Some(Ok(found)) => found,
        };
        let last =
            history.last().map(|p| (p.provider.as_str(), p.region.as_str(), p.instance_type.as_str(), p.replicas));
        if last == Some((&instance.provider, &instance.region, &instance.name, replicas)) {
            continue;
        }
        let placement = Placement {
            server: server.name.clone(),
            provider: instance.provider.clone(),
            region: instance.region.clone(),
            instance_type: instance.name.clone(),
            replicas,
            since: if history.is_empty() { server.created_at } else { now },
            hourly: Some(instance.on_demand.hourly),
            vcpu: Some(instance.vcpu),
            placed_by: BY_LABEL.to_owned(),
        };
        insert_placement(conn, &placement).await?;
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::catalog::{parse_csv, DEFAULT_CATALOG};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn labels_name_an_instance_type_of_the_catalog_or_say_what_is_wrong() {
        let catalog = parse_csv(DEFAULT_CATALOG).unwrap_or_default();
        let found =
            from_labels("fraud", &labels(&[("instance", "aws/us-east-1/g5.xlarge"), ("replicas", "2")]), &catalog);
        let (instance, replicas) = found.and_then(|found| found.ok()).unwrap_or_else(|| panic!("found"));
        assert_eq!((instance.key(), replicas), (("aws", "us-east-1", "g5.xlarge"), 2));
        let short = from_labels("fraud", &labels(&[("instance", "g5.xlarge")]), &catalog);
        let short = short.and_then(|found| found.ok()).map(|(instance, replicas)| (instance.key(), replicas));
        assert_eq!(
            short,
            Some((("aws", "us-east-1", "g5.xlarge"), 1)),
            "a type name the catalog holds once; 1 replica"
        );
        assert!(from_labels("fraud", &labels(&[("team", "risk")]), &catalog).is_none(), "no instance label");
        let unknown = from_labels("fraud", &labels(&[("instance", "aws/us-east-1/x9.mega")]), &catalog);
        let problem = unknown.and_then(|found| found.err()).unwrap_or_default();
        assert!(problem.contains("fraud's label instance=aws/us-east-1/x9.mega names no instance type"), "{problem}");
        let bad = from_labels("fraud", &labels(&[("instance", "g5.xlarge"), ("replicas", "two")]), &catalog);
        assert!(bad.and_then(|found| found.err()).unwrap_or_default().contains("replicas=two is not a whole number"));
    }
}
