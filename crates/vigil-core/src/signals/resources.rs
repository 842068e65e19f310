//! What a whole server uses, where its kind exposes it: CPU, memory, GPU. These metrics name
//! no model, so they are stored for the server (with no revision).
//!
//! Each kind lists its [`Resource`]s in its signal map: the metric, its unit, and how its series
//! combine (several GPUs average their utilization and add up their memory). A process's CPU
//! time is a counter, read as the cores it kept busy between two polls.

use std::collections::BTreeMap;

use vigil_exposition::Exposition;

/// Stored names of the server-wide signals.
pub mod resource {
    /// Share of the host's CPU in use, 0–1 (Triton, TorchServe).
    pub const CPU_UTILIZATION: &str = "cpu_utilization";
    /// CPU cores the server's process kept busy (Python servers' `process_cpu_seconds_total`).
    pub const CPU_CORES: &str = "cpu_cores";
    /// Memory in use, in bytes.
    pub const MEMORY_BYTES: &str = "memory_bytes";
    /// Share of the GPUs' time in use, 0–1, averaged over GPUs.
    pub const GPU_UTILIZATION: &str = "gpu_utilization";
    /// GPU memory in use, in bytes, over all GPUs.
    pub const GPU_MEMORY_BYTES: &str = "gpu_memory_bytes";
}

/// How a resource metric's series become one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// The mean of its series (utilization over several devices).
    Mean,
    /// The sum of its series (memory over several devices).
    Sum,
    /// A counter of seconds: its growth per second between two polls.
    Rate,
}

/// One server-wide metric: the signal it is stored as, its name, the factor to the stored unit.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    pub signal: &'static str,
    pub metric: &'static str,
    pub scale: f64,
    pub reading: Reading,
}

/// A server-wide metric `metric`, stored as `signal` after multiplying by `scale`.
pub const fn server_wide(signal: &'static str, metric: &'static str, scale: f64, reading: Reading) -> Resource {
    Resource { signal, metric, scale, reading }
}

/// Resources a Python process exposes through the Prometheus client (KServe, BentoML, vLLM…).
pub const PROCESS: &[Resource] = &[
    Resource { signal: resource::CPU_CORES, metric: "process_cpu_seconds_total", scale: 1.0, reading: Reading::Rate },
    Resource {
        signal: resource::MEMORY_BYTES,
        metric: "process_resident_memory_bytes",
        scale: 1.0,
        reading: Reading::Sum,
    },
];

/// Each resource's value on `page` (a counter's running total, for [`Reading::Rate`]), in the
/// stored unit; resources without a finite sample are absent.
pub fn read(page: &Exposition<'_>, resources: &[Resource]) -> BTreeMap<&'static str, f64> {
    let mut values = BTreeMap::new();
    for resource in resources {
        let samples: Vec<f64> =
            page.samples_named(resource.metric).map(|s| s.value).filter(|v| v.is_finite()).collect();
        if samples.is_empty() {
            continue;
        }
        let sum: f64 = samples.iter().sum();
        let value = match resource.reading {
            Reading::Mean => sum / samples.len() as f64,
            Reading::Sum | Reading::Rate => sum,
        };
        values.insert(resource.signal, value * resource.scale);
    }
    values
}

/// What the server used over `seconds` between two reads: gauges as last read, counters as
/// their growth per second (nothing without an earlier read; after a restart, from zero).
pub fn usage(
    before: Option<&BTreeMap<&'static str, f64>>,
    after: &BTreeMap<&'static str, f64>,
    seconds: f64,
    resources: &[Resource],
) -> BTreeMap<&'static str, f64> {
    let mut used = BTreeMap::new();
    for resource in resources {
        let Some(&now) = after.get(resource.signal) else { continue };
        if resource.reading != Reading::Rate {
            used.insert(resource.signal, now);
        } else if let Some(&then) = before.and_then(|before| before.get(resource.signal)) {
            let grown = if now >= then { now - then } else { now };
            if seconds > 0.0 {
                used.insert(resource.signal, grown / seconds);
            }
        }
    }
    used
}
