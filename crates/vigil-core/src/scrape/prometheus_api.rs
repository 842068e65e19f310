//! Reading model servers through a Prometheus that already scrapes them: one instant query
//! (`/api/v1/query`) for every metric the source kind's signal map needs, written back as
//! exposition text so that the same parser and extractor read it as if Vigil had scraped the
//! servers itself.

use std::time::Duration;

use serde_json::Value;

use crate::signals::maps::{Latency, SignalMap};

use super::http::{get_capped, ServerHttp};

/// The largest query answer Vigil reads.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The metric names `map` reads per model: counters, the latency family's series, reported
/// quantiles, queue time, gauges and batch counters. Not server-wide resources: through Prometheus, one registered
/// server stands for many processes (and without a selector, Prometheus' own).
pub fn metric_names(map: &SignalMap) -> Vec<String> {
    let mut names: Vec<String> =
        map.requests.iter().chain(map.errors.unwrap_or_default()).map(|counted| counted.name.to_owned()).collect();
    match map.latency {
        Latency::None => {}
        Latency::Histogram { name, .. } => names.extend(["_bucket", "_sum", "_count"].map(|s| format!("{name}{s}"))),
        Latency::Summary { name, .. } => names.extend(["_sum", "_count"].map(|s| format!("{name}{s}"))),
        Latency::Cumulative { name, .. } => names.push(name.to_owned()),
    }
    names.extend(map.queue.map(|(name, _)| name.to_owned()));
    names.extend(map.reported_quantiles.map(|(name, _)| name.to_owned()));
    names.extend(map.gauges.iter().map(|(_, name)| name.to_string()));
    names.extend(
        map.batches.into_iter().flat_map(|(inferences, executions)| [inferences, executions].map(str::to_owned)),
    );
    names.sort();
    names.dedup();
    names
}

/// The PromQL selecting `names` among the series `selector` matches.
pub fn query(names: &[String], selector: Option<&str>) -> String {
    let mut matchers = format!("__name__=~\"{}\"", names.join("|"));
    if let Some(selector) = selector {
        matchers.push(',');
        matchers.push_str(selector);
    }
    format!("{{{matchers}}}")
}

/// Asks the Prometheus at `base_url` for the series `map` needs and returns them as exposition
/// text.
pub async fn read(
    http: &ServerHttp,
    base_url: &str,
    map: &SignalMap,
    selector: Option<&str>,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let mut url = url::Url::parse(&format!("{base_url}/api/v1/query")).map_err(|_| "the base URL is not valid")?;
    url.query_pairs_mut().append_pair("query", &query(&metric_names(map), selector));
    let answer = get_capped(http, url.as_str(), timeout, MAX_ANSWER_BYTES).await?;
    if answer.truncated {
        return Err(format!("Prometheus answered with more than {} MB; narrow the selector", MAX_ANSWER_BYTES >> 20));
    }
    let body: Value = serde_json::from_slice(&answer.body)
        .map_err(|_| format!("Prometheus answered HTTP {} with something that is not JSON", answer.status))?;
    if body["status"] != "success" {
        let error = body["error"].as_str().unwrap_or("no reason given");
        return Err(format!("Prometheus refused the query: {}", error.chars().take(300).collect::<String>()));
    }
    Ok(exposition(&body["data"]["result"]).into_bytes())
}

/// An instant vector as exposition text: `name{label="value",…} value`, one line a series.
fn exposition(result: &Value) -> String {
    let mut text = String::new();
    for series in result.as_array().into_iter().flatten() {
        let (Some(labels), Some(value)) = (series["metric"].as_object(), series["value"][1].as_str()) else { continue };
        let Some(name) = labels.get("__name__").and_then(Value::as_str) else { continue };
        text.push_str(name);
        text.push('{');
        for (label, label_value) in labels.iter().filter(|(label, _)| *label != "__name__") {
            let escaped =
                label_value.as_str().unwrap_or("").replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            text.push_str(&format!("{label}=\"{escaped}\","));
        }
        text.push_str("} ");
        text.push_str(value);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::ServerKind;
    use crate::signals::{totals, RevisionKey};
    use vigil_exposition::{parse, Format};

    #[test]
    fn the_query_asks_for_exactly_the_series_the_source_kind_needs() {
        let mlserver = ServerKind::Mlserver.signal_map().unwrap();
        assert_eq!(
            metric_names(mlserver),
            [
                "model_infer_request_duration_count",
                "model_infer_request_duration_sum",
                "model_infer_request_failure_total",
                "model_infer_request_success_total"
            ]
        );
        assert_eq!(
            query(&metric_names(mlserver)[2..], Some(r#"job="mlserver""#)),
            r#"{__name__=~"model_infer_request_failure_total|model_infer_request_success_total",job="mlserver"}"#
        );
    }

    #[test]
    fn an_instant_vector_reads_as_the_same_totals_as_the_scraped_page() {
        // As Prometheus answers /api/v1/query (values are strings; job and instance added).
        let answer: Value = serde_json::from_str(
            r#"{"status":"success","data":{"resultType":"vector","result":[
              {"metric":{"__name__":"model_infer_request_success_total","model":"iris","version":"v1","job":"m","instance":"h:1"},"value":[1732800000.5,"7"]},
              {"metric":{"__name__":"model_infer_request_failure_total","model":"iris","version":"None","job":"m","instance":"h:1"},"value":[1732800000.5,"1"]},
              {"metric":{"__name__":"model_infer_request_duration_sum","model":"iris","version":"v1","note":"a \"quoted\" \\ value"},"value":[1732800000.5,"0.25"]}
            ]}}"#,
        )
        .unwrap();
        let text = exposition(&answer["data"]["result"]);
        let page = parse(&text, Format::Prometheus);
        assert_eq!(page.skipped, 0, "{text}");
        let totals = totals(&page, ServerKind::Mlserver.signal_map().unwrap());
        let v1 = &totals[&RevisionKey { model: "iris".into(), version: Some("v1".into()) }];
        assert_eq!((v1.requests, v1.latency_sum_s), (7.0, Some(0.25)));
        assert_eq!(totals[&RevisionKey { model: "iris".into(), version: None }].errors, Some(1.0));
    }
}
