//! The metrics page of NVIDIA Triton (as in `tests/fixtures/metrics/triton.prom`, from Triton's
//! metrics documentation), as Triton started with `--metrics-config summary_latencies=true`
//! serves it: cumulative counters without `_total` labelled `model` and `version`, failures by
//! `reason`, durations in whole microseconds (end to end for successful requests only, queue,
//! and compute input / infer / output), the pending-request gauge, the latency summaries
//! (quantiles of the last minute's successful requests, `Nan` when there were none), and the
//! host's CPU and memory. Every loaded revision is listed from the start, at zero.

use std::time::Instant;

use super::host::{self, CpuUtilization};
use super::text::{Numbers, Page};
use super::{RevisionStats, Snapshot, Window, SUMMARY_QUANTILES};

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

/// A per-revision summary family: name, help, and which window of a revision it shows.
type SummaryFamily = (&'static str, &'static str, fn(&RevisionStats) -> &Window);

const SUMMARIES: [SummaryFamily; 5] = [
    (
        "nv_inference_request_summary_us",
        "Summary of inference request duration in microseconds (includes cached requests)",
        |s| &s.summaries.request,
    ),
    (
        "nv_inference_queue_summary_us",
        "Summary of inference queuing duration in microseconds (includes cached requests)",
        |s| &s.summaries.queue,
    ),
    (
        "nv_inference_compute_input_summary_us",
        "Summary of compute input duration in microseconds (does not include cached requests)",
        |s| &s.summaries.input,
    ),
    (
        "nv_inference_compute_infer_summary_us",
        "Summary of compute inference duration in microseconds (does not include cached requests)",
        |s| &s.summaries.infer,
    ),
    (
        "nv_inference_compute_output_summary_us",
        "Summary of compute output duration in microseconds (does not include cached requests)",
        |s| &s.summaries.output,
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
    let now = Instant::now();
    for (name, help, window) in SUMMARIES {
        page.family(name, help, "summary");
        for ((model, version), stats) in &snapshot.revisions {
            let (window, labels) = (window(stats), [("model", model.as_str()), ("version", version.as_str())]);
            page.sample(&format!("{name}_count"), &labels, window.count as f64);
            page.sample(&format!("{name}_sum"), &labels, micros(window.sum));
            for (quantile, value) in SUMMARY_QUANTILES.iter().zip(window.quantiles(now, &SUMMARY_QUANTILES)) {
                let quantile = quantile.to_string();
                let labels = [labels[0], labels[1], ("quantile", quantile.as_str())];
                page.sample(name, &labels, value.map_or(f64::NAN, micros));
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
            "# TYPE nv_inference_request_summary_us summary",
            "nv_inference_request_summary_us_count{model=\"fraud\",version=\"13\"} 1",
            "nv_inference_request_summary_us_sum{model=\"fraud\",version=\"13\"} 1500",
            "nv_inference_request_summary_us{model=\"fraud\",version=\"13\",quantile=\"0.99\"} 1500",
            "nv_inference_request_summary_us{model=\"fraud\",version=\"12\",quantile=\"0.5\"} Nan",
            "nv_inference_queue_summary_us{model=\"fraud\",version=\"13\",quantile=\"0.999\"} 200",
        ] {
            assert!(page.lines().any(|l| l == line), "missing {line} in\n{page}");
        }
        if cfg!(target_os = "linux") {
            assert!(page.contains("\nnv_cpu_memory_used_bytes "), "{page}");
        }
    }
}
