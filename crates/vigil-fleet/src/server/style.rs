//! How each kind of model server the fleet imitates differs from the others, in what Vigil
//! and clients can see: what `/v2` says, which version labels metrics carry, the status and
//! wording of errors, the shape of metadata and readiness answers, and the metrics page.
//! Answers follow the captures in `tests/fixtures/http/` (MLServer 1.7.1, KServe 0.21.0) and
//! Triton's documented protocol.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::metrics::host::CpuUtilization;
use crate::metrics::{kserve, mlserver, triton, Snapshot};
use crate::models::Model;

/// The server a fleet server imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Seldon MLServer 1.7.1: Vigil detects it as `mlserver`.
    Mlserver,
    /// NVIDIA Triton 2.52: detected as `triton`.
    Triton,
    /// A KServe 0.21 Python model server: detected as `oip-v2`.
    Kserve,
}

impl Style {
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Mlserver => "mlserver",
            Style::Triton => "triton",
            Style::Kserve => "kserve",
        }
    }

    /// `GET /v2`: the server metadata that names the implementation.
    pub fn server_metadata(self) -> Value {
        match self {
            Style::Mlserver => json!({"name": "mlserver", "version": "1.7.1", "extensions": []}),
            Style::Triton => json!({"name": "triton", "version": "2.52.0", "extensions": [
                "classification", "sequence", "model_repository", "model_repository(unload_dependents)",
                "schedule_policy", "model_configuration", "system_shared_memory", "cuda_shared_memory",
                "binary_tensor_data", "parameters", "statistics", "trace", "logging"
            ]}),
            Style::Kserve => {
                json!({"name": "kserve", "version": "0.21.0", "extensions": ["model_repository_extension"]})
            }
        }
    }

    /// The body of a successful health answer (`live` or `ready`): empty, or KServe's JSON.
    pub fn health_body(self, probe: &str) -> Option<Value> {
        (self == Style::Kserve).then(|| json!({ probe: true }))
    }

    /// The body of a ready model's readiness answer.
    pub fn model_ready_body(self, model: &str) -> Option<Value> {
        (self == Style::Kserve).then(|| json!({"name": model, "ready": true}))
    }

    /// The version label metrics give an inference of `served` that asked for `requested`.
    pub fn version_label(self, requested: Option<&str>, served: &str) -> String {
        match self {
            // MLServer labels what the request named, `None` when it named nothing.
            Style::Mlserver => requested.unwrap_or("None").to_owned(),
            Style::Triton => served.to_owned(),
            // KServe labels no version.
            Style::Kserve => String::new(),
        }
    }

    /// Which of a model's versions (in load order) answers requests that name none: Triton
    /// the highest, the others the first loaded.
    pub fn default_version<'a>(self, versions: &[&'a str]) -> Option<&'a str> {
        match self {
            Style::Triton => versions.iter().copied().max_by_key(|v| (v.parse::<u64>().ok(), *v)),
            Style::Mlserver | Style::Kserve => versions.first().copied(),
        }
    }

    /// Model metadata for `model`, listing `versions`.
    pub fn model_metadata(self, model: &Model, versions: &[&str]) -> Value {
        let (inputs, outputs) = (model.schema.metadata(), model.outputs_metadata());
        match self {
            Style::Mlserver => json!({"name": model.name, "versions": versions, "platform": "", "inputs": inputs,
                "outputs": outputs, "parameters": {"description": model.description}}),
            Style::Triton => json!({"name": model.name, "versions": versions, "platform": "python", "inputs": inputs,
                "outputs": outputs}),
            Style::Kserve => json!({"name": model.name, "versions": null, "platform": "", "inputs": inputs,
                "outputs": outputs}),
        }
    }

    /// The answer to a request for a model (or version) the server does not serve.
    pub fn unknown_model(self, model: &str, version: Option<&str>) -> (StatusCode, String) {
        let message = match (self, version) {
            (Style::Mlserver, None) => format!("Model {model} not found"),
            (Style::Mlserver, Some(version)) => format!("Model {model} with version {version} not found"),
            (Style::Triton, None) => format!("Request for unknown model: '{model}' is not found"),
            (Style::Triton, Some(version)) => {
                format!("Request for unknown model: '{model}' version {version} is not found")
            }
            (Style::Kserve, _) => format!("Model with name {model} does not exist."),
        };
        (StatusCode::NOT_FOUND, message)
    }

    /// The answer to a well-formed request the model cannot take: Triton checks inputs itself
    /// (400); MLServer's and KServe's runtimes raise a Python error from the model (500).
    pub fn input_error(self, message: &str) -> (StatusCode, String) {
        match self {
            Style::Triton => (StatusCode::BAD_REQUEST, message.to_owned()),
            Style::Mlserver => (StatusCode::INTERNAL_SERVER_ERROR, format!("builtins.ValueError: {message}")),
            Style::Kserve => (StatusCode::INTERNAL_SERVER_ERROR, format!("ValueError : {message}")),
        }
    }

    /// The answer when the model itself fails while running.
    pub fn model_error(self, message: &str) -> (StatusCode, String) {
        match self {
            Style::Triton => (StatusCode::INTERNAL_SERVER_ERROR, message.to_owned()),
            Style::Mlserver => (StatusCode::INTERNAL_SERVER_ERROR, format!("builtins.RuntimeError: {message}")),
            Style::Kserve => (StatusCode::INTERNAL_SERVER_ERROR, format!("RuntimeError : {message}")),
        }
    }

    /// Parameters MLServer puts on each output tensor.
    pub fn output_parameters(self) -> Option<Value> {
        (self == Style::Mlserver).then(|| json!({"content_type": "np"}))
    }

    /// CloudEvents headers MLServer puts on each inference response.
    pub fn response_headers(self, model: &str, id: &str) -> Vec<(&'static str, String)> {
        if self != Style::Mlserver {
            return Vec::new();
        }
        vec![
            ("ce-specversion", "0.3".into()),
            ("ce-source", "io.seldon.serving.deployment.mlserver".into()),
            ("ce-type", "io.seldon.serving.inference.response".into()),
            ("ce-modelid", model.into()),
            ("ce-inferenceservicename", "mlserver".into()),
            ("ce-endpoint", model.into()),
            ("ce-id", id.into()),
            ("ce-requestid", id.into()),
        ]
    }

    /// Whether the server lists its models in a repository index (`POST /v2/repository/index`,
    /// MLServer and Triton) rather than `GET /v2/models` (KServe).
    pub fn has_repository_index(self) -> bool {
        self != Style::Kserve
    }

    /// The metrics page.
    pub fn render_metrics(self, snapshot: &Snapshot, cpu: &CpuUtilization) -> String {
        match self {
            Style::Mlserver => mlserver::render(snapshot),
            Style::Triton => triton::render(snapshot, cpu),
            Style::Kserve => kserve::render(snapshot),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_style_names_itself_as_the_real_server_does() {
        assert_eq!(Style::Mlserver.server_metadata()["name"], "mlserver");
        assert_eq!(Style::Triton.server_metadata()["name"], "triton");
        assert_eq!(Style::Kserve.server_metadata()["name"], "kserve");
    }

    #[test]
    fn version_labels_and_default_versions_follow_each_server() {
        assert_eq!(Style::Mlserver.version_label(None, "v3"), "None");
        assert_eq!(Style::Mlserver.version_label(Some("v3"), "v3"), "v3");
        assert_eq!(Style::Triton.version_label(None, "13"), "13");
        assert_eq!(Style::Kserve.version_label(Some("v7"), "v7"), "");
        assert_eq!(Style::Triton.default_version(&["12", "13", "9"]), Some("13"));
        assert_eq!(Style::Mlserver.default_version(&["v3", "v4"]), Some("v3"));
    }

    #[test]
    fn input_errors_are_400_for_triton_and_a_python_error_for_the_others() {
        assert_eq!(Style::Triton.input_error("bad").0, StatusCode::BAD_REQUEST);
        let (status, message) = Style::Mlserver.input_error("X has 3 features");
        assert_eq!((status.as_u16(), message.as_str()), (500, "builtins.ValueError: X has 3 features"));
    }
}
