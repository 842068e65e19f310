//! The metrics page of Seldon MLServer 1.7.1 (as captured in
//! `tests/fixtures/metrics/mlserver-1.7.1.prom`): per-model success and failure counters and a
//! duration summary labelled `model` and `version` (`None` for requests that named no version),
//! and the REST histogram and counters per endpoint. No process metrics: MLServer has none.

use super::text::{Numbers, Page, SumAt};
use super::{Endpoint, Snapshot};

/// The labels of MLServer's REST metrics for `endpoint`, whose status is `status`.
fn endpoint_labels<'a>(endpoint: &'a Endpoint, status: &'a str) -> [(&'static str, &'a str); 4] {
    [("app_name", "mlserver"), ("method", endpoint.method), ("path", endpoint.path), ("status_code", status)]
}

pub fn render(snapshot: &Snapshot) -> String {
    let mut page = Page::new(Numbers::Python);
    page.family("rest_server_request_duration_seconds", "HTTP request duration, in seconds", "histogram");
    for (endpoint, histogram) in &snapshot.endpoints {
        let status = endpoint.status.to_string();
        page.histogram(
            "rest_server_request_duration_seconds",
            &endpoint_labels(endpoint, &status),
            histogram,
            SumAt::First,
        );
    }
    // Series appear once a revision has served (the client creates them on first use).
    let served: Vec<_> = snapshot.revisions.iter().filter(|(_, stats)| stats.request.count() > 0).collect();
    page.family("model_infer_request_failure_total", "Model infer request failure count", "counter");
    for ((model, version), stats) in &served {
        page.sample(
            "model_infer_request_failure_total",
            &[("model", model), ("version", version)],
            stats.failures() as f64,
        );
    }
    page.family("model_infer_request_success_total", "Model infer request success count", "counter");
    for ((model, version), stats) in served.iter().filter(|(_, stats)| stats.success > 0) {
        page.sample(
            "model_infer_request_success_total",
            &[("model", model), ("version", version)],
            stats.success as f64,
        );
    }
    page.family("rest_server_requests_total", "Total HTTP requests", "counter");
    for (endpoint, histogram) in &snapshot.endpoints {
        let status = endpoint.status.to_string();
        page.sample("rest_server_requests_total", &endpoint_labels(endpoint, &status), histogram.count() as f64);
    }
    page.family("model_infer_request_duration", "Model infer request duration", "summary");
    for ((model, version), stats) in &served {
        let labels = [("model", model.as_str()), ("version", version.as_str())];
        page.sample("model_infer_request_duration_count", &labels, stats.request.count() as f64);
        page.sample("model_infer_request_duration_sum", &labels, stats.request.sum);
    }
    page.family("rest_server_requests_in_progress", "Total HTTP requests currently in progress", "gauge");
    page.sample(
        "rest_server_requests_in_progress",
        &[("app_name", "mlserver"), ("method", "POST")],
        snapshot.in_progress as f64,
    );
    page.finish()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{Endpoint, Outcome, Recorder, Timing};

    #[test]
    fn the_page_has_mlservers_families_labels_and_number_format() {
        let recorder = Recorder::default();
        let timing = Timing { total: Duration::from_millis(5), ..Timing::default() };
        for _ in 0..7 {
            recorder.inference("iris", "v1", Outcome::Success, 1, timing);
            recorder.http(
                Endpoint {
                    method: "POST",
                    path: "/v2/models/{model_name}/versions/{model_version}/infer",
                    status: 200,
                },
                timing.total,
            );
        }
        recorder.inference("iris", "None", Outcome::BadInput, 1, timing);
        let page = render(&recorder.snapshot());
        for line in [
            "# TYPE model_infer_request_success_total counter",
            "model_infer_request_success_total{model=\"iris\",version=\"v1\"} 7.0",
            "model_infer_request_failure_total{model=\"iris\",version=\"v1\"} 0.0",
            "model_infer_request_failure_total{model=\"iris\",version=\"None\"} 1.0",
            "# TYPE model_infer_request_duration summary",
            "model_infer_request_duration_count{model=\"iris\",version=\"None\"} 1.0",
            "rest_server_request_duration_seconds_bucket{app_name=\"mlserver\",le=\"0.005\",method=\"POST\",path=\"/v2/models/{model_name}/versions/{model_version}/infer\",status_code=\"200\"} 7.0",
            "rest_server_requests_total{app_name=\"mlserver\",method=\"POST\",path=\"/v2/models/{model_name}/versions/{model_version}/infer\",status_code=\"200\"} 7.0",
            "rest_server_requests_in_progress{app_name=\"mlserver\",method=\"POST\"} 0.0",
        ] {
            assert!(page.lines().any(|l| l == line), "missing {line} in\n{page}");
        }
        assert!(!page.contains("model_infer_request_success_total{model=\"iris\",version=\"None\"}"));
        assert!(!page.contains("process_"), "MLServer has no process metrics");
    }
}
