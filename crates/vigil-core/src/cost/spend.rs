//! The arithmetic of cost, as OpenCost does it for machines and as no tool does it for
//! predictions: a server's serving cost over a window is the sum, over each stretch of time it
//! ran one placement, of hours × replicas × the instance's hourly price; models that share a
//! server split its cost (idle included) by compute time, requests × mean latency; a revision's
//! cost per 1,000 predictions is its cost ÷ its successful requests × 1,000, and "no
//! predictions" (None) when it served none, never infinity or zero. Idle cost is what was paid
//! for but not used: the window's cost × (1 − the server's mean utilization).

/// From `since_ms` on, a server ran `replicas` of an instance costing `hourly` dollars each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub since_ms: i64,
    pub hourly: f64,
    pub replicas: u32,
}

const HOUR_MS: f64 = 3_600_000.0;

/// What a server cost from `from_ms` to `to_ms`, each placement (oldest first) in force from
/// its time until the next one's. Time before the first placement costs nothing: nothing was
/// said to run.
pub fn serving_cost(placements: &[Placed], from_ms: i64, to_ms: i64) -> f64 {
    placements
        .iter()
        .enumerate()
        .map(|(i, placed)| {
            let until = placements.get(i + 1).map_or(to_ms, |next| next.since_ms);
            let (start, end) = (placed.since_ms.max(from_ms), until.min(to_ms));
            let hours = (end - start).max(0) as f64 / HOUR_MS;
            hours * f64::from(placed.replicas) * placed.hourly
        })
        .sum()
}

/// How much work one revision asked of its server over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    pub requests: f64,
    pub errors: f64,
    /// Mean latency in seconds, when the server reports it.
    pub mean_latency_s: Option<f64>,
}

impl Work {
    /// Compute time: requests × mean latency (requests alone when no latency is reported).
    fn compute(&self) -> f64 {
        self.requests * self.mean_latency_s.unwrap_or(1.0)
    }

    pub fn successful(&self) -> f64 {
        (self.requests - self.errors).max(0.0)
    }
}

/// Each revision's part of `cost`, split by compute time; equal parts when none did any work
/// (an idle server's cost still belongs to what it serves).
pub fn split_by_compute(cost: f64, work: &[Work]) -> Vec<f64> {
    let total: f64 = work.iter().map(Work::compute).sum();
    if work.is_empty() {
        return Vec::new();
    }
    if total <= 0.0 {
        return vec![cost / work.len() as f64; work.len()];
    }
    work.iter().map(|w| cost * w.compute() / total).collect()
}

/// Dollars per 1,000 successful predictions; None when there were none.
pub fn per_thousand(cost: f64, successful: f64) -> Option<f64> {
    (successful > 0.0).then(|| cost / successful * 1000.0)
}

/// A server's mean use of what it pays for, 0–1: its GPUs' when reported, else its CPU share,
/// else the cores its process kept busy ÷ the vCPUs it runs on (`vcpus`: vCPUs × replicas);
/// capped at 1. None when the server reports none of them.
pub fn utilization(
    gpu: Option<f64>,
    cpu_share: Option<f64>,
    cpu_cores: Option<f64>,
    vcpus: Option<f64>,
) -> Option<f64> {
    let from_cores = || match (cpu_cores, vcpus) {
        (Some(cores), Some(vcpus)) if vcpus > 0.0 => Some(cores / vcpus),
        _ => None,
    };
    gpu.or(cpu_share).or_else(from_cores).map(|share| share.clamp(0.0, 1.0))
}

/// What was paid for but not used: `cost` × (1 − `utilization`); None when utilization is unknown.
pub fn idle_cost(cost: f64, utilization: Option<f64>) -> Option<f64> {
    utilization.map(|used| cost * (1.0 - used))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P3_16XLARGE: f64 = 24.48;

    fn cents(dollars: f64) -> i64 {
        (dollars * 100.0).round() as i64
    }

    #[test]
    fn a_p3_16xlarge_for_720_hours_costs_17_625_dollars_60() {
        let month_ms = 720 * 3_600_000;
        let placed = [Placed { since_ms: 0, hourly: P3_16XLARGE, replicas: 1 }];
        assert_eq!(cents(serving_cost(&placed, 0, month_ms)), 1_762_560);
    }

    #[test]
    fn a_replica_change_in_the_middle_of_a_window_is_costed_piecewise() {
        // 2 replicas for the first 3 h, then 5 for the last hour of a 4 h window: 2×3 + 5×1 = 11
        // instance-hours at $1.006 (g5.xlarge) = $11.066.
        let hour = 3_600_000;
        let placed = [
            Placed { since_ms: -hour, hourly: 1.006, replicas: 2 },
            Placed { since_ms: 3 * hour, hourly: 1.006, replicas: 5 },
        ];
        assert_eq!(cents(serving_cost(&placed, 0, 4 * hour)), 1107);
        assert_eq!(cents(serving_cost(&placed, -3 * hour, 0)), 201, "before the first placement nothing ran: 1 h × 2");
    }

    #[test]
    fn two_models_on_one_server_split_its_cost_by_compute_time() {
        // $10 over the window; fraud 900 requests × 20 ms = 18 s, churn 100 × 120 ms = 12 s:
        // 60 % and 40 %. fraud per 1,000 of its 890 successful: $6 / 890 × 1000 = $6.74.
        let fraud = Work { requests: 900.0, errors: 10.0, mean_latency_s: Some(0.020) };
        let churn = Work { requests: 100.0, errors: 0.0, mean_latency_s: Some(0.120) };
        let parts = split_by_compute(10.0, &[fraud, churn]);
        assert_eq!(parts.iter().map(|&p| cents(p)).collect::<Vec<_>>(), [600, 400]);
        assert_eq!(per_thousand(parts[0], fraud.successful()).map(cents), Some(674));
    }

    #[test]
    fn zero_traffic_is_no_predictions_never_infinity_or_zero() {
        let idle = Work { requests: 0.0, errors: 0.0, mean_latency_s: None };
        let parts = split_by_compute(5.0, &[idle, idle]);
        assert_eq!(parts, [2.5, 2.5], "an idle server's cost still belongs to what it serves");
        assert_eq!(per_thousand(parts[0], idle.successful()), None);
        let failing = Work { requests: 50.0, errors: 50.0, mean_latency_s: Some(0.01) };
        assert_eq!(per_thousand(1.0, failing.successful()), None, "failed requests are not predictions");
    }

    #[test]
    fn idle_cost_is_what_was_paid_for_but_not_used() {
        // Two g5.xlarge (4 vCPUs each, $1.006 an hour) for 3 h: $6.036. No GPU or CPU share is
        // reported; the process kept 2.4 cores busy on average of the 8 it runs on: 30 % used,
        // so 70 % idle, $4.2252, $4.23 in cents.
        let hour = 3_600_000;
        let cost = serving_cost(&[Placed { since_ms: 0, hourly: 1.006, replicas: 2 }], 0, 3 * hour);
        let used = utilization(None, None, Some(2.4), Some(8.0));
        assert_eq!(used.map(|u| (u * 100.0).round()), Some(30.0));
        assert_eq!(idle_cost(cost, used).map(cents), Some(423));
        // A GPU's use wins over the CPU's; more cores busy than it has is full use, not more.
        assert_eq!(utilization(Some(0.9), Some(0.2), None, None), Some(0.9));
        assert_eq!(utilization(None, None, Some(12.0), Some(8.0)), Some(1.0));
        assert_eq!(idle_cost(cost, utilization(None, None, None, Some(8.0))), None, "reports neither: unknown, not 0");
    }
}
