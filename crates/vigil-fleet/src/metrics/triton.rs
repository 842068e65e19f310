//! The metrics page of NVIDIA Triton (as in `tests/fixtures/metrics/triton.prom`, from Triton's
//! metrics documentation): cumulative counters without `_total` labelled `model` and
//! `version`, failures by `reason`, durations in whole microseconds (end to end for successful
//! requests only, queue, and compute input / infer / output), the pending-request gauge, and
//! the host's CPU and memory. Every loaded revision is listed from the start, at zero.

use super::host::{self, CpuUtilization};
use super::text::{Numbers, Page};
use super::{RevisionStats, Snapshot};

/// A per-revision family: name, help, type, and its value from a revision's stats.
type Family = (&'static str, &'static str, &'static str, fn(&RevisionStats) -> f64);

fn micros(seconds: f64) -> f64 {
    (seconds * 1e6).round()
}

const FAMILIES: [Family; 9] = [
    ("nv_inference_request_success", "Number of successful inference requests, all batch sizes", "counter", |s| {
        s.success as f64
    }),
    ("nv_inference_count", "Number of inferences performed (does not include cached requests)", "counter", |s| {
        s.inferences as f64
    }),
    (
        "nv_inference_exec_count",
        "Number of model executions performed (does not include cached requests)",
        "counter",
        |s| s.executions as f64,
    ),
    (
        "nv_inference_request_duration_us",
        "Cumulative inference request duration in microseconds (includes cached requests)",
        "counter",
        |s| micros(s.success_seconds),
    ),
    (
        "nv_inference_queue_duration_us",
        "Cumulative inference queuing duration in microseconds (includes cached requests)",
        "counter",
        |s| micros(s.queue_seconds),
    ),
    (
        "nv_inference_compute_input_duration_us",
        "Cumulative compute input duration in microseconds (does not include cached requests)",
        "counter",
        |s| micros(s.input.sum),
    ),
    (
        "nv_inference_compute_infer_duration_us",
        "Cumulative compute inference duration in microseconds (does not include cached requests)",
        "counter",
        |s| micros(s.infer.sum),
    ),
    (
        "nv_inference_compute_output_duration_us",
        "Cumulative inference compute output duration in microseconds (does not include cached requests)",
        "counter",
        |s| micros(s.output.sum),
    ),
    (
        "nv_inference_pending_request_count",
        "Instantaneous number of pending requests awaiting execution per-model.",
        "gauge",
        |s| s.pending as f64,
    ),
];

pub fn render(snapshot: &Snapshot, cpu: &CpuUtilization) -> String {
    let mut page = Page::new(Numbers::Cpp);
    for (index, (name, help, kind, value)) in FAMILIES.iter().enumerate() {
        page.family(name, help, kind);
        for ((model, version), stats) in &snapshot.revisions {
            page.sample(name, &[("model", model), ("version", version)], value(stats));
        }
        // Failures come second, by reason: Triton lists every reason of every model.
        if index == 0 {
            let failure = "nv_inference_request_failure";
            page.family(failure, "Number of failed inference requests, all batch sizes", "counter");
            for ((model, version), stats) in &snapshot.revisions {
                let reasons =
                    [("REJECTED", 0), ("CANCELED", 0), ("BACKEND", stats.model_failure), ("OTHER", stats.bad_input)];
                for (reason, count) in reasons {
                    page.sample(failure, &[("model", model), ("reason", reason), ("version", version)], count as f64);
                }
            }
        }
    }
    if let Some(utilization) = cpu.read() {
        page.family("nv_cpu_utilization", "CPU utilization rate [0.0 - 1.0]", "gauge");
        page.sample("nv_cpu_utilization", &[], utilization);
    }
    if let Some((total, used)) = host::memory() {
        page.family("nv_cpu_memory_total_bytes", "CPU total memory (RAM), in bytes", "gauge");
        page.sample("nv_cpu_memory_total_bytes", &[], total);
        page.family("nv_cpu_memory_used_bytes", "CPU used memory (RAM), in bytes", "gauge");
        page.sample("nv_cpu_memory_used_bytes", &[], used);
    }
    page.finish()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{Outcome, Recorder, Timing};

    #[test]
    fn the_page_has_tritons_families_labels_and_whole_microseconds() {
        let recorder = Recorder::with_revisions([("fraud", "12"), ("fraud", "13")]);
        let timing =
            Timing { total: Duration::from_micros(1500), queue: Duration::from_micros(200), ..Timing::default() };
        recorder.inference("fraud", "13", Outcome::Success, 4, timing);
        recorder.inference("fraud", "13", Outcome::ModelFailure, 1, timing);
        recorder.waiting("fraud", "13", true);
        let page = render(&recorder.snapshot(), &CpuUtilization::default());
        for line in [
            "# TYPE nv_inference_request_success counter",
            "nv_inference_request_success{model=\"fraud\",version=\"12\"} 0",
            "nv_inference_request_success{model=\"fraud\",version=\"13\"} 1",
            "nv_inference_request_failure{model=\"fraud\",reason=\"BACKEND\",version=\"13\"} 1",
            "nv_inference_request_failure{model=\"fraud\",reason=\"OTHER\",version=\"13\"} 0",
            "nv_inference_count{model=\"fraud\",version=\"13\"} 5",
            "nv_inference_exec_count{model=\"fraud\",version=\"13\"} 2",
            "nv_inference_request_duration_us{model=\"fraud\",version=\"13\"} 1500",
            "nv_inference_queue_duration_us{model=\"fraud\",version=\"13\"} 400",
            "# TYPE nv_inference_pending_request_count gauge",
            "nv_inference_pending_request_count{model=\"fraud\",version=\"13\"} 1",
        ] {
            assert!(page.lines().any(|l| l == line), "missing {line} in\n{page}");
        }
        if cfg!(target_os = "linux") {
            assert!(page.contains("\nnv_cpu_memory_used_bytes "), "{page}");
        }
    }
}
