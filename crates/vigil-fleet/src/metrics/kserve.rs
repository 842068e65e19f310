//! The metrics page of a KServe 0.21 Python model server (as captured in
//! `tests/fixtures/metrics/kserve-0.21.0.prom`): the process's CPU and memory, and per model
//! (label `model_name`; KServe labels no version) histograms of pre-process, post-process and
//! predict time, each with its `_created` gauge.

use super::host;
use super::text::{Numbers, Page, SumAt};
use super::{Histogram, RevisionStats, Snapshot};

/// A per-model histogram family: name, help, and which histogram of a revision it shows.
type Family = (&'static str, &'static str, fn(&RevisionStats) -> &Histogram);

const FAMILIES: [Family; 3] = [
    ("request_preprocess_seconds", "pre-process request latency", |s| &s.input),
    ("request_postprocess_seconds", "post-process request latency", |s| &s.output),
    ("request_predict_seconds", "predict request latency", |s| &s.infer),
];

pub fn render(snapshot: &Snapshot) -> String {
    let mut page = Page::new(Numbers::Python);
    if let Some(process) = host::process() {
        let gauges = [
            ("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", process.virtual_bytes),
            ("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", process.resident_bytes),
            (
                "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds.",
                "counter",
                process.cpu_seconds,
            ),
        ];
        for (name, help, kind, value) in gauges {
            page.family(name, help, kind);
            page.sample(name, &[], value);
        }
    }
    let served: Vec<_> = snapshot.revisions.iter().filter(|(_, stats)| stats.request.count() > 0).collect();
    for (name, help, histogram) in FAMILIES {
        page.family(name, help, "histogram");
        for ((model, _), stats) in &served {
            page.histogram(name, &[("model_name", model)], histogram(stats), SumAt::Last);
        }
        let created = format!("{name}_created");
        page.family(&created, help, "gauge");
        for ((model, _), stats) in &served {
            page.sample(&created, &[("model_name", model)], stats.created);
        }
    }
    page.finish()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{Outcome, Recorder, Timing};

    #[test]
    fn the_page_has_kserves_histograms_per_model_name() {
        let recorder = Recorder::default();
        let timing = Timing { total: Duration::from_millis(30), infer: Duration::from_millis(20), ..Timing::default() };
        recorder.inference("price", "", Outcome::Success, 1, timing);
        let page = render(&recorder.snapshot());
        for line in [
            "# TYPE request_predict_seconds histogram",
            "request_predict_seconds_bucket{le=\"0.01\",model_name=\"price\"} 0.0",
            "request_predict_seconds_bucket{le=\"0.025\",model_name=\"price\"} 1.0",
            "request_predict_seconds_count{model_name=\"price\"} 1.0",
            "request_predict_seconds_sum{model_name=\"price\"} 0.02",
            "# TYPE request_predict_seconds_created gauge",
        ] {
            assert!(page.lines().any(|l| l == line), "missing {line} in\n{page}");
        }
        if cfg!(target_os = "linux") {
            assert!(page.contains("\nprocess_cpu_seconds_total "), "{page}");
        }
    }
}
