//! A large, realistic metrics page, made the same way on every run: 320 models with one to
//! three versions each, served behind MLServer-, Triton- and vLLM-style families, histograms
//! included, with escaped label values here and there.

use std::fmt::Write as _;

/// The page, and how many sample lines it has.
pub struct Payload {
    pub text: String,
    pub sample_lines: usize,
}

const MODELS: usize = 320;

/// A model as it appears in label values.
struct Model {
    /// The MLServer/Triton `model` label, already escaped for the text format.
    name: String,
    /// The vLLM `model_name` label (`org/model`), already escaped.
    hub_name: String,
    versions: Vec<String>,
}

/// xorshift64*: small, fast and the same everywhere.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn models() -> Vec<Model> {
    (0..MODELS)
        .map(|i| {
            // One model in 20 has a name that needs escapes: quotes, a backslash, or a newline.
            let name = match i % 60 {
                7 => format!("team \\\"alpha\\\" classifier-{i:03}"),
                27 => format!("C:\\\\models\\\\resnet-{i:03}"),
                47 => format!("multi\\nline, k=v {{}} model-{i:03}"),
                _ => format!("model-{i:03}"),
            };
            let hub_name = format!("org-{}/llm-{i:03}-instruct", i % 7);
            let versions = (1..=1 + i % 3).map(|v| format!("v{v}")).collect();
            Model { name, hub_name, versions }
        })
        .collect()
}

/// Writes the page.
pub fn generate() -> Payload {
    let mut page =
        Page { text: String::with_capacity(4_500_000), sample_lines: 0, random: Random(0x5EED_CAFE_F00D_BEEF) };
    let models = models();
    page.mlserver(&models);
    page.triton(&models);
    page.vllm(&models);
    Payload { text: page.text, sample_lines: page.sample_lines }
}

struct Page {
    text: String,
    sample_lines: usize,
    random: Random,
}

const REST_BUCKETS: [&str; 14] =
    ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0"];
const E2E_BUCKETS: [&str; 21] = [
    "0.3", "0.5", "0.8", "1.0", "1.5", "2.0", "2.5", "5.0", "10.0", "15.0", "20.0", "30.0", "40.0", "50.0", "60.0",
    "120.0", "240.0", "480.0", "960.0", "1920.0", "7680.0",
];
const TTFT_BUCKETS: [&str; 22] = [
    "0.001", "0.005", "0.01", "0.02", "0.04", "0.06", "0.08", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0", "7.5",
    "10.0", "20.0", "40.0", "80.0", "160.0", "640.0", "2560.0",
];

impl Page {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.text, "{name}{{{labels}}} {value}");
        self.sample_lines += 1;
    }

    /// Cumulative bucket counts ending at `total`.
    fn buckets(&mut self, bounds: usize, total: u64) -> Vec<u64> {
        let mut counts: Vec<u64> = (0..bounds).map(|_| self.random.below(total + 1)).collect();
        counts.sort_unstable();
        counts
    }

    /// One histogram series: buckets with `le` placed before or after the other labels,
    /// then `_sum` and `_count`.
    fn histogram(&mut self, name: &str, labels: &str, bounds: &[&str], le_first: bool, float_counts: bool) {
        let total = 1 + self.random.below(5000);
        let counts = self.buckets(bounds.len(), total);
        let bucket = format!("{name}_bucket");
        for (bound, count) in bounds.iter().chain(&["+Inf"]).zip(counts.iter().chain(&[total])) {
            let labels = if le_first { format!("le=\"{bound}\",{labels}") } else { format!("{labels},le=\"{bound}\"") };
            if float_counts {
                self.sample(&bucket, &labels, format_args!("{count}.0"));
            } else {
                self.sample(&bucket, &labels, count);
            }
        }
        let sum = total as f64 * self.random.unit() * 2.0;
        self.sample(&format!("{name}_sum"), labels, sum);
        if float_counts {
            self.sample(&format!("{name}_count"), labels, format_args!("{total}.0"));
        } else {
            self.sample(&format!("{name}_count"), labels, total);
        }
    }

    fn mlserver(&mut self, models: &[Model]) {
        self.family("model_infer_request_success_total", "counter", "Model infer request success count");
        for model in models {
            for version in &model.versions {
                let count = self.random.below(100_000);
                self.sample(
                    "model_infer_request_success_total",
                    &mlserver_labels(model, version),
                    format_args!("{count}.0"),
                );
            }
        }
        self.family("model_infer_request_failure_total", "counter", "Model infer request failure count");
        for model in models {
            for version in model.versions.iter().map(String::as_str).chain(["None"]) {
                let count = self.random.below(100);
                self.sample(
                    "model_infer_request_failure_total",
                    &mlserver_labels(model, version),
                    format_args!("{count}.0"),
                );
            }
        }
        self.family("model_infer_request_duration", "summary", "Model infer request duration");
        for model in models {
            for version in &model.versions {
                let labels = mlserver_labels(model, version);
                let count = 1 + self.random.below(100_000);
                self.sample("model_infer_request_duration_count", &labels, format_args!("{count}.0"));
                let sum = count as f64 * self.random.unit() * 0.05;
                self.sample("model_infer_request_duration_sum", &labels, sum);
            }
        }
        self.family("rest_server_request_duration_seconds", "histogram", "HTTP request duration, in seconds");
        for model in models {
            for version in &model.versions {
                let labels = format!(
                    "app_name=\"mlserver\",method=\"POST\",path=\"/v2/models/{}/versions/{version}/infer\",status_code=\"200\"",
                    model.name
                );
                self.histogram("rest_server_request_duration_seconds", &labels, &REST_BUCKETS, true, true);
            }
        }
    }

    fn triton(&mut self, models: &[Model]) {
        let counters = [
            ("nv_inference_request_success", "Number of successful inference requests, all batch sizes"),
            ("nv_inference_count", "Number of inferences performed (does not include cached requests)"),
            ("nv_inference_request_duration_us", "Cumulative inference request duration in microseconds"),
            ("nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds"),
        ];
        for (name, help) in counters {
            self.family(name, "counter", help);
            for model in models {
                for version in &model.versions {
                    let value = self.random.below(10_000_000);
                    self.sample(name, &format!("model=\"{}\",version=\"{version}\"", model.name), value);
                }
            }
        }
        self.family("nv_inference_request_failure", "counter", "Number of failed inference requests, all batch sizes");
        for model in models {
            for version in &model.versions {
                for reason in ["REJECTED", "CANCELED", "BACKEND", "OTHER"] {
                    let value = self.random.below(20);
                    let labels = format!("model=\"{}\",reason=\"{reason}\",version=\"{version}\"", model.name);
                    self.sample("nv_inference_request_failure", &labels, value);
                }
            }
        }
    }

    fn vllm(&mut self, models: &[Model]) {
        self.family("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.");
        for model in models {
            let waiting = self.random.below(10);
            self.sample("vllm:num_requests_waiting", &vllm_labels(model), format_args!("{waiting}.0"));
        }
        self.family("vllm:request_success_total", "counter", "Count of successfully processed requests.");
        for model in models {
            for reason in ["stop", "length", "abort"] {
                let count = self.random.below(50_000);
                let labels = format!("{},finished_reason=\"{reason}\"", vllm_labels(model));
                self.sample("vllm:request_success_total", &labels, format_args!("{count}.0"));
            }
        }
        let histograms = [
            ("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", &E2E_BUCKETS[..]),
            ("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", &TTFT_BUCKETS[..]),
        ];
        for (name, help, bounds) in histograms {
            self.family(name, "histogram", help);
            for model in models {
                self.histogram(name, &vllm_labels(model), bounds, false, true);
            }
        }
    }
}

fn mlserver_labels(model: &Model, version: &str) -> String {
    format!("model=\"{}\",version=\"{version}\"", model.name)
}

fn vllm_labels(model: &Model) -> String {
    format!("model_name=\"{}\",engine=\"0\"", model.hub_name)
}
