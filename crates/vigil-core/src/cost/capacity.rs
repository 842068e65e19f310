//! The capacity planner: for a model's peak traffic, how many replicas of each instance type it
//! needs and what they cost a month — from the rate each type sustained per replica in a load
//! test, never from a guess. The rate to plan for is peak × (1 + growth) × headroom; a replica
//! is planned at `target_utilization` of the rate it held; a month is 30 days of
//! (24 − hours scaled to zero) hours. It names the cheapest plan, prices it on demand, on spot
//! and reserved where the catalog has those prices, and, when the preferred type is scarce
//! (capped at a count), mixes the cap of it with the cheapest other type for the rest.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::catalog::InstanceType;
use super::loadtest::LoadTestResult;
use crate::{Result, VigilError};

/// What to plan for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CapacityRequest {
    pub model: String,
    /// Requests per second at peak.
    pub peak_rate: f64,
    /// Only load tests run with this p99 objective or a stricter one count; None: any.
    pub p99_objective_ms: Option<f64>,
    /// Spare capacity above the planned rate: 1.3 = 30 % more.
    pub headroom: f64,
    /// The instance type wanted, `provider/region/type`.
    pub preferred: Option<String>,
    /// How many of the preferred type can be had.
    pub preferred_cap: Option<u32>,
    /// Traffic growth to plan for: 0.5 = 50 % more than today's peak.
    pub growth: f64,
    /// The share of a replica's measured limit to run it at, 0–1.
    pub target_utilization: f64,
    /// Hours a day the model is scaled to zero and costs nothing.
    pub hours_off_per_day: f64,
}

/// One instance type's plan.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CapacityOption {
    pub instance: String,
    /// `8 × V100`, when it has GPUs.
    pub gpu: Option<String>,
    /// Requests per second one replica held in its latest load test.
    pub per_replica_rate: f64,
    pub replicas: u32,
    pub monthly_on_demand: f64,
    pub monthly_spot: Option<f64>,
    pub monthly_reserved: Option<f64>,
    pub tested_at: chrono::DateTime<chrono::Utc>,
}

/// A part of a mixed plan.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MixedPart {
    pub instance: String,
    pub replicas: u32,
    /// On demand.
    pub monthly: f64,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CapacityPlan {
    /// peak × (1 + growth) × headroom.
    pub needed_rate: f64,
    /// Every instance type with a load test of the model, cheapest on demand first.
    pub options: Vec<CapacityOption>,
    pub cheapest: Option<CapacityOption>,
    /// The preferred type up to its cap, the cheapest other type for the rest; None when no
    /// cap binds or no other type was tested.
    pub mixed: Option<Vec<MixedPart>>,
    pub mixed_monthly: Option<f64>,
    /// Catalog instance types with no load test of the model.
    pub untested: Vec<String>,
    pub sentences: Vec<String>,
}

/// Checks `request`, naming the first thing wrong.
pub fn check(request: &CapacityRequest) -> Result<()> {
    let bad = |field: &'static str, message: &str| Err(VigilError::invalid(field, message.to_owned()));
    if !(request.peak_rate.is_finite() && request.peak_rate > 0.0) {
        return bad("peak_rate", "The peak rate is a number of requests a second above 0.");
    }
    if !(request.headroom.is_finite() && (1.0..=10.0).contains(&request.headroom)) {
        return bad("headroom", "Headroom is a factor from 1 (none) to 10; 1.3 plans 30 % spare.");
    }
    if !(request.growth.is_finite() && (0.0..=100.0).contains(&request.growth)) {
        return bad("growth", "Growth is a share from 0 (none) up; 0.5 plans for 50 % more traffic.");
    }
    if !(request.target_utilization > 0.0 && request.target_utilization <= 1.0) {
        return bad(
            "target_utilization",
            "Target utilization is a share above 0 and at most 1 (a replica's measured limit).",
        );
    }
    if !(0.0..24.0).contains(&request.hours_off_per_day) {
        return bad("hours_off_per_day", "Hours scaled to zero are from 0 to less than 24 a day.");
    }
    if request.preferred_cap.is_some() && request.preferred.is_none() {
        return bad("preferred_cap", "A cap is for the preferred instance type: name it too.");
    }
    Ok(())
}

/// The plan for `request` from the model's load tests (newest first; the newest finished one
/// with a sustained rate and an instance type counts for each type) and the `catalog`.
pub fn plan(request: &CapacityRequest, tests: &[LoadTestResult], catalog: &[InstanceType]) -> Result<CapacityPlan> {
    check(request)?;
    let needed_rate = request.peak_rate * (1.0 + request.growth) * request.headroom;
    let hours = 30.0 * (24.0 - request.hours_off_per_day);
    let mut options: Vec<CapacityOption> = Vec::new();
    for test in tests.iter().filter(|test| counts(test, request)) {
        let (Some(instance), Some(rate)) = (&test.instance, test.per_replica_rate) else { continue };
        let Some(instance_type) = catalog.iter().find(|t| key(t) == *instance) else { continue };
        if options.iter().any(|option| option.instance == *instance) {
            continue;
        }
        let replicas = replicas_for(needed_rate, rate * request.target_utilization);
        let monthly = |hourly: f64| hourly * f64::from(replicas) * hours;
        options.push(CapacityOption {
            instance: instance.clone(),
            gpu: instance_type.gpu_type.as_ref().map(|gpu| format!("{} × {gpu}", instance_type.gpu_count)),
            per_replica_rate: rate,
            replicas,
            monthly_on_demand: monthly(instance_type.on_demand.hourly),
            monthly_spot: instance_type.spot.as_ref().map(|price| monthly(price.hourly)),
            monthly_reserved: instance_type.reserved.as_ref().map(|price| monthly(price.hourly)),
            tested_at: test.started_at,
        });
    }
    options.sort_by(|a, b| a.monthly_on_demand.total_cmp(&b.monthly_on_demand));
    let untested = catalog.iter().map(key).filter(|k| options.iter().all(|option| option.instance != *k)).collect();
    if let Some(preferred) = &request.preferred {
        if options.iter().all(|option| option.instance != *preferred) {
            return Err(VigilError::invalid(
                "preferred",
                format!(
                    "No load test of {} on {preferred} counts for this plan: run one (vigil loadtest {}) on a server placed on {preferred}.",
                    request.model, request.model
                ),
            ));
        }
    }
    let mixed = mix(request, &options, needed_rate, hours, catalog);
    let mut plan = CapacityPlan {
        needed_rate,
        cheapest: options.first().cloned(),
        mixed_monthly: mixed.as_ref().map(|parts| parts.iter().map(|part| part.monthly).sum()),
        mixed,
        options,
        untested,
        sentences: Vec::new(),
    };
    plan.sentences = sentences(request, &plan);
    Ok(plan)
}

/// Whether `test` may be planned from: finished, with an objective no looser than asked.
fn counts(test: &LoadTestResult, request: &CapacityRequest) -> bool {
    test.model == request.model
        && !test.cancelled
        && request.p99_objective_ms.is_none_or(|asked| test.p99_objective_ms <= asked)
}

/// Replicas that carry `rate` at `per_replica` each (at least one).
pub fn replicas_for(rate: f64, per_replica: f64) -> u32 {
    let replicas = (rate / per_replica - 1e-9).ceil();
    replicas.clamp(1.0, f64::from(u32::MAX)) as u32
}

fn key(instance_type: &InstanceType) -> String {
    format!("{}/{}/{}", instance_type.provider, instance_type.region, instance_type.name)
}

/// The preferred type up to its cap and the cheapest other type for the rest, when the cap binds.
fn mix(
    request: &CapacityRequest,
    options: &[CapacityOption],
    needed_rate: f64,
    hours: f64,
    catalog: &[InstanceType],
) -> Option<Vec<MixedPart>> {
    let (preferred, cap) = (request.preferred.as_ref()?, request.preferred_cap?);
    let wanted = options.iter().find(|option| option.instance == *preferred)?;
    if wanted.replicas <= cap {
        return None;
    }
    let other = options.iter().find(|option| option.instance != *preferred)?;
    let usable = |option: &CapacityOption| option.per_replica_rate * request.target_utilization;
    let rest = (needed_rate - f64::from(cap) * usable(wanted)).max(0.0);
    let hourly = |instance: &str| catalog.iter().find(|t| key(t) == instance).map_or(0.0, |t| t.on_demand.hourly);
    let part = |option: &CapacityOption, replicas: u32| MixedPart {
        instance: option.instance.clone(),
        replicas,
        monthly: hourly(&option.instance) * f64::from(replicas) * hours,
    };
    let mut parts = vec![part(wanted, cap)];
    if rest > 0.0 {
        parts.push(part(other, replicas_for(rest, usable(other))));
    }
    Some(parts)
}

fn sentences(request: &CapacityRequest, plan: &CapacityPlan) -> Vec<String> {
    let mut said = vec![format!(
        "Planning for {} req/s: {} at peak, {} growth, {} headroom, replicas run at {} of the rate they held.",
        rate(plan.needed_rate),
        rate(request.peak_rate),
        share(request.growth),
        share(request.headroom - 1.0),
        share(request.target_utilization)
    )];
    let Some(cheapest) = &plan.cheapest else {
        said.push(format!(
            "No instance type has a load test of {} yet: place its server on an instance type and run one (vigil loadtest {}).",
            request.model, request.model
        ));
        return said;
    };
    let spot = cheapest.monthly_spot.map(|spot| format!(" ({} on spot)", dollars(spot))).unwrap_or_default();
    said.push(format!(
        "Cheapest: {} × {} at {} a month on demand{spot}.",
        cheapest.replicas,
        cheapest.instance,
        dollars(cheapest.monthly_on_demand)
    ));
    if let (Some(preferred), Some(cap)) = (&request.preferred, request.preferred_cap) {
        said.push(match (&plan.mixed, plan.mixed_monthly) {
            (Some(parts), Some(monthly)) => {
                let described: Vec<String> = parts.iter().map(|p| format!("{} × {}", p.replicas, p.instance)).collect();
                format!("With {preferred} capped at {cap}: {} at {} a month.", described.join(" + "), dollars(monthly))
            }
            _ => match plan.options.iter().find(|option| option.instance == *preferred) {
                Some(option) if option.replicas <= cap => {
                    format!("{preferred} needs {} replicas, within its cap of {cap}.", option.replicas)
                }
                _ => format!("{preferred} capped at {cap} cannot carry the load, and no other instance type has a load test to make up the rest."),
            },
        });
    }
    said
}

fn rate(value: f64) -> String {
    format!("{value:.0}")
}

fn share(value: f64) -> String {
    format!("{:.0} %", value * 100.0)
}

/// `$1,101.60`
pub fn dollars(value: f64) -> String {
    let cents = (value * 100.0).round() as i64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{:02}", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::catalog::Price;
    use chrono::{NaiveDate, Utc};

    fn instance(name: &str, hourly: f64, spot: Option<f64>) -> InstanceType {
        let price =
            |hourly| Price { hourly, date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), source: "test".into() };
        InstanceType {
            provider: "aws".into(),
            region: "us-east-1".into(),
            name: name.into(),
            vcpu: 4,
            memory_gib: 16.0,
            gpu_type: None,
            gpu_count: 0,
            on_demand: price(hourly),
            spot: spot.map(price),
            reserved: None,
        }
    }

    fn tested(name: &str, per_replica: f64) -> LoadTestResult {
        LoadTestResult {
            id: 1,
            server: "s".into(),
            model: "fraud".into(),
            version: "13".into(),
            instance: Some(format!("aws/us-east-1/{name}")),
            replicas: 1,
            started_at: Utc::now(),
            person: "Ana".into(),
            p99_objective_ms: 200.0,
            max_error_share: 0.01,
            steps: Vec::new(),
            sustainable_rate: Some(per_replica),
            per_replica_rate: Some(per_replica),
            cancelled: false,
            sentence: String::new(),
        }
    }

    fn request(peak: f64) -> CapacityRequest {
        CapacityRequest {
            model: "fraud".into(),
            peak_rate: peak,
            p99_objective_ms: None,
            headroom: 1.3,
            preferred: None,
            preferred_cap: None,
            growth: 0.0,
            target_utilization: 1.0,
            hours_off_per_day: 0.0,
        }
    }

    #[test]
    fn replicas_follow_from_the_measured_rate_and_the_cheapest_is_named() {
        // 500 req/s × 1.3 = 650. c5.xlarge held 80 a replica: ⌈650 / 80⌉ = 9 replicas × $0.17
        // × 720 h = $1,101.60. g5.xlarge held 400: 2 × $1.006 × 720 = $1,448.64.
        let catalog = [instance("c5.xlarge", 0.17, Some(0.068)), instance("g5.xlarge", 1.006, None)];
        let tests = [tested("c5.xlarge", 80.0), tested("g5.xlarge", 400.0)];
        let plan = plan(&request(500.0), &tests, &catalog).unwrap();
        assert_eq!(plan.needed_rate, 650.0);
        let cheapest = plan.cheapest.unwrap();
        assert_eq!((cheapest.instance.as_str(), cheapest.replicas), ("aws/us-east-1/c5.xlarge", 9));
        assert_eq!(dollars(cheapest.monthly_on_demand), "$1,101.60");
        assert_eq!(cheapest.monthly_spot.map(dollars).as_deref(), Some("$440.64"));
        assert_eq!(plan.options[1].replicas, 2);
        assert_eq!(
            plan.sentences[1],
            "Cheapest: 9 × aws/us-east-1/c5.xlarge at $1,101.60 a month on demand ($440.64 on spot)."
        );
    }

    #[test]
    fn a_scarce_preferred_type_is_mixed_with_the_cheapest_other() {
        // Need 650; g5 capped at 1 carries 400; the other 250 on c5 at 80: ⌈3.125⌉ = 4.
        let catalog = [instance("c5.xlarge", 0.17, None), instance("g5.xlarge", 1.006, None)];
        let tests = [tested("c5.xlarge", 80.0), tested("g5.xlarge", 400.0)];
        let scarce = CapacityRequest {
            preferred: Some("aws/us-east-1/g5.xlarge".into()),
            preferred_cap: Some(1),
            ..request(500.0)
        };
        let plan = plan(&scarce, &tests, &catalog).unwrap();
        let parts: Vec<(String, u32)> = plan.mixed.unwrap().into_iter().map(|p| (p.instance, p.replicas)).collect();
        assert_eq!(parts, [("aws/us-east-1/g5.xlarge".into(), 1), ("aws/us-east-1/c5.xlarge".into(), 4)]);
        assert_eq!(plan.mixed_monthly.map(dollars).as_deref(), Some("$1,213.92"), "(1.006 + 4 × 0.17) × 720");
    }

    #[test]
    fn what_if_growth_utilization_and_hours_off_change_the_plan() {
        let catalog = [instance("c5.xlarge", 0.17, None)];
        let tests = [tested("c5.xlarge", 100.0)];
        let what_if = CapacityRequest {
            headroom: 1.0,
            growth: 0.5,
            target_utilization: 0.75,
            hours_off_per_day: 8.0,
            ..request(200.0)
        };
        // 200 × 1.5 = 300 req/s at 75 a replica: 4 replicas × $0.17 × 30 × 16 h = $326.40.
        let option = plan(&what_if, &tests, &catalog).unwrap().cheapest.unwrap();
        assert_eq!((option.replicas, dollars(option.monthly_on_demand)), (4, "$326.40".into()));
    }

    #[test]
    fn untested_and_unplannable_cases_say_what_to_do() {
        let catalog = [instance("c5.xlarge", 0.17, None), instance("m5.large", 0.096, None)];
        let mut cancelled = tested("c5.xlarge", 100.0);
        cancelled.cancelled = true;
        let plan = plan(&request(10.0), &[cancelled], &catalog).unwrap();
        assert!(plan.cheapest.is_none() && plan.untested.len() == 2);
        assert!(plan.sentences[1].contains("No instance type has a load test of fraud"));
        let preferred = CapacityRequest { preferred: Some("aws/us-east-1/m5.large".into()), ..request(10.0) };
        let err = super::plan(&preferred, &[tested("c5.xlarge", 10.0)], &catalog).unwrap_err().to_string();
        assert!(err.contains("No load test of fraud on aws/us-east-1/m5.large"), "{err}");
        assert!(check(&CapacityRequest { peak_rate: 0.0, ..request(1.0) }).is_err());
        assert!(check(&CapacityRequest { target_utilization: 1.5, ..request(1.0) }).is_err());
    }
}
