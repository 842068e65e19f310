//! Reading model servers through a Prometheus that already scrapes them: one instant query
//! (`/api/v1/query`) for every metric the source kind's signal map needs, and each server's
//! series written back as exposition text so that the same parser and extractor read it as if
//! Vigil had scraped the server itself. How one answer serves many servers: `readings`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Deserialize;

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

/// The PromQL selecting the series named `names`, with the `up` series of the targets beside
/// them (whether Prometheus could scrape each): one query for every server read through one
/// Prometheus.
pub fn query(names: &[String]) -> String {
    format!("{{__name__=~\"up|{}\"}}", names.join("|"))
}

/// One series of an instant vector: its name, its other labels, its latest value as Prometheus
/// wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: String,
}

impl Series {
    /// The value of `label`; empty when the series lacks it (as in PromQL).
    pub fn label(&self, label: &str) -> &str {
        self.labels.iter().find(|(name, _)| name == label).map_or("", |(_, value)| value)
    }
}

/// Asks the Prometheus at `base_url` for the latest value of every series `query` selects.
pub async fn read(http: &ServerHttp, base_url: &str, query: &str, timeout: Duration) -> Result<Vec<Series>, String> {
    let mut url = url::Url::parse(&format!("{base_url}/api/v1/query")).map_err(|_| "the base URL is not valid")?;
    url.query_pairs_mut().append_pair("query", query);
    let answer = get_capped(http, url.as_str(), timeout, MAX_ANSWER_BYTES).await?;
    if answer.truncated {
        return Err(format!("Prometheus answered with more than {} MB; narrow the selector", MAX_ANSWER_BYTES >> 20));
    }
    instant_vector(&answer.body, answer.status)
}

/// The series of an answer to `/api/v1/query` (HTTP `status`), or Prometheus' own reason for
/// refusing.
pub(crate) fn instant_vector(body: &[u8], status: u16) -> Result<Vec<Series>, String> {
    #[derive(Deserialize)]
    struct Answer {
        status: String,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        data: Option<Data>,
    }
    #[derive(Deserialize)]
    struct Data {
        #[serde(default)]
        result: Vec<Sample>,
    }
    #[derive(Deserialize)]
    struct Sample {
        metric: BTreeMap<String, String>,
        value: (f64, String),
    }
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|_| format!("Prometheus answered HTTP {status} with something that is not its query answer"))?;
    if answer.status != "success" {
        let error = answer.error.as_deref().unwrap_or("no reason given");
        return Err(format!("Prometheus refused the query: {}", error.chars().take(300).collect::<String>()));
    }
    let samples = answer.data.map(|data| data.result).unwrap_or_default();
    Ok(samples
        .into_iter()
        .filter_map(|Sample { mut metric, value: (_, value) }| {
            let name = metric.remove("__name__")?;
            Some(Series { name, labels: metric.into_iter().collect(), value })
        })
        .collect())
}

/// Series as exposition text: `name{label="value",…} value`, one line a series.
pub fn exposition<'a>(series: impl Iterator<Item = &'a Series>) -> String {
    let mut text = String::new();
    for one in series {
        text.push_str(&one.name);
        text.push('{');
        for (label, value) in &one.labels {
            let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            let _ = write!(text, "{label}=\"{escaped}\",");
        }
        text.push_str("} ");
        text.push_str(&one.value);
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
            query(&metric_names(mlserver)[2..]),
            r#"{__name__=~"up|model_infer_request_failure_total|model_infer_request_success_total"}"#
        );
    }

    #[test]
    fn an_instant_vector_reads_as_the_same_totals_as_the_scraped_page() {
        // As Prometheus answers /api/v1/query (values are strings; job and instance added).
        let answer = br#"{"status":"success","data":{"resultType":"vector","result":[
              {"metric":{"__name__":"model_infer_request_success_total","model":"iris","version":"v1","job":"m","instance":"h:1"},"value":[1732800000.5,"7"]},
              {"metric":{"__name__":"model_infer_request_failure_total","model":"iris","version":"None","job":"m","instance":"h:1"},"value":[1732800000.5,"1"]},
              {"metric":{"__name__":"model_infer_request_duration_sum","model":"iris","version":"v1","note":"a \"quoted\" \\ value"},"value":[1732800000.5,"0.25"]}
            ]}}"#;
        let series = instant_vector(answer, 200).unwrap();
        assert_eq!(series[0].label("instance"), "h:1");
        assert_eq!(series[2].label("instance"), "");
        let text = exposition(series.iter());
        let page = parse(&text, Format::Prometheus);
        assert_eq!(page.skipped, 0, "{text}");
        let totals = totals(&page, ServerKind::Mlserver.signal_map().unwrap());
        let v1 = &totals[&RevisionKey { model: "iris".into(), version: Some("v1".into()) }];
        assert_eq!((v1.requests, v1.latency_sum_s), (7.0, Some(0.25)));
        assert_eq!(totals[&RevisionKey { model: "iris".into(), version: None }].errors, Some(1.0));
    }

    #[test]
    fn a_refusal_is_told_in_prometheus_words() {
        let refused = br#"{"status":"error","errorType":"bad_data","error":"parse error: unexpected }"}"#;
        assert_eq!(
            instant_vector(refused, 400).unwrap_err(),
            "Prometheus refused the query: parse error: unexpected }"
        );
        assert_eq!(
            instant_vector(b"<html>", 502).unwrap_err(),
            "Prometheus answered HTTP 502 with something that is not its query answer"
        );
    }
}
