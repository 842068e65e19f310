//! The traffic generator: requests to the router at a rate that follows a day compressed into
//! minutes, each carrying rows drawn from the model's training distribution (shifted, once
//! `drift` starts), a few deliberately wrong. Bounded: at most [`MAX_IN_FLIGHT`] requests wait
//! at once (more are skipped and counted), and optionally a total count.
//!
//! With labels on, each answered request of one row gets its ground truth later: drawn from the
//! model's truth for that row (the shifted truth once `drift` starts; for a model whose
//! recommendations shape its labels, as the shop records them given what the answer
//! recommended), from the `labels` stream of the request's index, and handed to the label
//! sender to post after `labels.delay` (a `late_share` of them after `late_delay`). A request
//! of several rows shares one inference id between its rows, so it gets no label: a label
//! names one prediction.
//!
//! The daily pattern: `rate = peak × (0.2 + 0.8 × ((1 − cos(2π (hour − 4) / 24)) / 2)²)`,
//! quietest at 04:00 (a fifth of the peak), busiest at 16:00.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::config::{LabelsConfig, TrafficConfig};
use crate::feedback;
use crate::labels::{Label, LabelSender};
use crate::models::Truth;
use crate::rng::Rng;
use crate::schema::{Row, Schema};

/// Requests waiting for an answer at once, at most.
pub const MAX_IN_FLIGHT: usize = 256;
/// How often the generator wakes to send what is due.
const TICK: Duration = Duration::from_millis(20);
/// How long one request may take before it counts as unanswered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One model the generator sends requests for.
#[derive(Debug, Clone)]
pub struct Target {
    pub model: String,
    /// Its share of all requests (relative to the other targets').
    pub weight: f64,
    pub schema: Schema,
    /// The schema once drift starts (the same schema when nothing drifts).
    pub drifted: Schema,
    /// How its rows' labels arise, and once drift starts.
    pub truth: Truth,
    pub drifted_truth: Truth,
    /// For a model whose recommendations shape the labels it gets (`feedback-loop`).
    pub feedback: Option<Feedback>,
}

/// How a model's answers shape its labels: an item not recommended (its `recommended` output
/// 0) goes unseen, and unclicked, with the chance `influence` (see [`feedback::recorded`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feedback {
    pub influence: f64,
    /// The output tensor that says whether the item was recommended (1) or not (0).
    pub recommended: &'static str,
}

/// Where labels go, and when.
#[derive(Debug, Clone)]
pub struct Labelling {
    pub sender: LabelSender,
    pub config: LabelsConfig,
}

/// What the generator is to do.
#[derive(Debug, Clone)]
pub struct TrafficPlan {
    pub config: TrafficConfig,
    pub targets: Vec<Target>,
    /// When inputs start to drift, from the start; None: never.
    pub drift_at: Option<Duration>,
    pub seed: u64,
    /// None: no labels.
    pub labels: Option<Labelling>,
}

/// How the generator's requests went so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TrafficStats {
    pub sent: u64,
    /// Answered with status 200.
    pub ok: u64,
    /// Answered with an error status.
    pub errors: u64,
    /// No answer (connection refused, timed out).
    pub unanswered: u64,
    /// Not sent because too many requests were waiting.
    pub skipped: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    ok: AtomicU64,
    errors: AtomicU64,
    unanswered: AtomicU64,
    skipped: AtomicU64,
}

/// A running generator; it stops when dropped.
#[derive(Debug)]
pub struct Traffic {
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl Traffic {
    /// Starts sending `plan`'s traffic to the router at `router_url`.
    pub fn start(plan: TrafficPlan, router_url: String) -> Result<Traffic, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(generate(plan, router_url, client, counters.clone()));
        Ok(Traffic { counters, task })
    }

    pub fn stats(&self) -> TrafficStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let c = &self.counters;
        TrafficStats {
            sent: read(&c.sent),
            ok: read(&c.ok),
            errors: read(&c.errors),
            unanswered: read(&c.unanswered),
            skipped: read(&c.skipped),
        }
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The share of the peak rate at `hour` (0–24) of the compressed day.
pub fn daily_shape(hour: f64) -> f64 {
    let wave = (1.0 - (std::f64::consts::TAU * (hour - 4.0) / 24.0).cos()) / 2.0;
    0.2 + 0.8 * wave * wave
}

/// The hour of the compressed day `elapsed` after a start at `start_hour`.
pub fn hour_of_day(config: &TrafficConfig, elapsed: Duration) -> f64 {
    (config.start_hour + 24.0 * elapsed.as_secs_f64() / config.day.as_secs_f64()).rem_euclid(24.0)
}

async fn generate(plan: TrafficPlan, router_url: String, client: reqwest::Client, counters: Arc<Counters>) {
    let started = Instant::now();
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let weights: Vec<f64> = plan.targets.iter().map(|t| t.weight).collect();
    let (mut due, mut index, mut last) = (0.0, 0u64, Instant::now());
    let mut drifting = false;
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = Instant::now();
        let elapsed = now - started;
        due += plan.config.peak_rps * daily_shape(hour_of_day(&plan.config, elapsed)) * (now - last).as_secs_f64();
        last = now;
        if !drifting && plan.drift_at.is_some_and(|at| elapsed >= at) {
            drifting = true;
            tracing::info!("drift: requests' inputs shift from now on");
        }
        while due >= 1.0 {
            due -= 1.0;
            if plan.config.max_requests.is_some_and(|max| index >= max) {
                return;
            }
            let (mut rng, this) = (Rng::item(plan.seed, "traffic", index), index);
            index += 1;
            let target = &plan.targets[rng.weighted(&weights)];
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                counters.skipped.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            let request = request_body(target, drifting, plan.config.invalid_share, &mut rng);
            let pending = plan.labels.clone().zip(request.labelled).map(|(labelling, row)| PendingLabel {
                labelling,
                model: target.model.clone(),
                truth: if drifting { target.drifted_truth } else { target.truth },
                feedback: target.feedback,
                row,
                rng: Rng::item(plan.seed, "labels", this),
            });
            let url = format!("{router_url}/v2/models/{}/infer", target.model);
            let (client, counters) = (client.clone(), counters.clone());
            counters.sent.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let counter = match client.post(url).json(&request.body).send().await {
                    Ok(answer) if answer.status().is_success() => {
                        if let Some(pending) = pending {
                            pending.answered(answer.json().await.unwrap_or_default());
                        }
                        &counters.ok
                    }
                    Ok(_) => &counters.errors,
                    Err(_) => &counters.unanswered,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                drop(permit);
            });
        }
    }
}

/// One request's body, and its row when it is one valid row (the one a label can name).
#[derive(Debug, Clone, PartialEq)]
struct Request {
    body: Value,
    labelled: Option<Row>,
}

/// A request for `target`: one row mostly, sometimes a small batch; a few miss an input.
fn request_body(target: &Target, drifting: bool, invalid_share: f64, rng: &mut Rng) -> Request {
    let schema = if drifting { &target.drifted } else { &target.schema };
    let rows = if rng.chance(0.7) { 1 } else { 2 + (rng.uniform() * 7.0) as usize };
    let mut rows: Vec<_> = (0..rows).map(|_| schema.sample(rng)).collect();
    let mut inputs = schema.request_inputs(&rows);
    let invalid = rng.chance(invalid_share);
    if invalid {
        if let Some(inputs) = inputs.as_array_mut() {
            let missing = (rng.uniform() * inputs.len() as f64) as usize;
            inputs.remove(missing.min(inputs.len().saturating_sub(1)));
        }
    }
    let labelled = if rows.len() == 1 && !invalid { rows.pop() } else { None };
    Request { body: json!({ "inputs": inputs }), labelled }
}

/// A request whose answer is to be labelled: its model, the truth in force when it was sent,
/// and its row.
struct PendingLabel {
    labelling: Labelling,
    model: String,
    truth: Truth,
    feedback: Option<Feedback>,
    row: Row,
    /// The label's own draws (the `labels` stream of the request's index).
    rng: Rng,
}

impl PendingLabel {
    /// Hands the label for the request `answer` answered to the sender, due after the delay.
    fn answered(mut self, answer: Value) {
        let Some(id) = answer.get("id").and_then(Value::as_str) else { return };
        let value = truth_label(self.truth, self.feedback, &self.row, &answer, &mut self.rng);
        let config = &self.labelling.config;
        let delay = if self.rng.chance(config.late_share) { config.late_delay } else { config.delay };
        let label = Label { model: self.model, id: id.to_owned(), value };
        self.labelling.sender.send(tokio::time::Instant::now() + delay, label);
    }
}

/// The label of `row`, whose answer was `answer`: drawn from `truth`, and for a model whose
/// recommendations shape its labels (`feedback`), as the shop records it.
pub fn truth_label(truth: Truth, feedback: Option<Feedback>, row: &Row, answer: &Value, rng: &mut Rng) -> f64 {
    let value = truth.draw(row, rng);
    match feedback {
        Some(shaping) => {
            feedback::recorded(value, output(answer, shaping.recommended) == Some(1.0), shaping.influence, rng)
        }
        None => value,
    }
}

/// The first value of the output tensor `name` of an Open Inference Protocol answer.
pub fn output(answer: &Value, name: &str) -> Option<f64> {
    let outputs = answer.get("outputs")?.as_array()?;
    let tensor = outputs.iter().find(|tensor| tensor.get("name").and_then(Value::as_str) == Some(name))?;
    tensor.get("data")?.get(0)?.as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{catalog, fraud_schema};
    use crate::oip;

    fn fraud_target() -> Target {
        let (schema, truth) = (fraud_schema(), catalog()[0].truth);
        let drifted = schema.clone();
        Target { model: "fraud".into(), weight: 1.0, schema, drifted, truth, drifted_truth: truth, feedback: None }
    }

    #[test]
    fn labels_follow_the_truth_and_for_recommendations_what_was_recommended() {
        let (certain, target) = (Truth::Class { logit: |_| 30.0 }, fraud_target());
        let row = target.schema.sample(&mut Rng::new(3));
        let answer = json!({"id": "a", "outputs": [{"name": "shown", "datatype": "INT64", "shape": [1], "data": [0]}]});
        let label = |truth, feedback| truth_label(truth, feedback, &row, &answer, &mut Rng::new(4));
        assert_eq!(label(certain, None), 1.0, "drawn from the truth given");
        assert_eq!(label(target.truth, None), label(target.truth, None), "the same draws, the same label");
        let shaped = Some(Feedback { influence: 1.0, recommended: "shown" });
        assert_eq!(label(certain, shaped), 0.0, "not recommended, so never seen and never clicked");
        let shown = json!({"id": "b", "outputs": [{"name": "shown", "data": [1]}]});
        assert_eq!(truth_label(certain, shaped, &row, &shown, &mut Rng::new(4)), 1.0, "recommended: the truth");
        assert_eq!(output(&answer, "shown"), Some(0.0));
        assert_eq!(output(&answer, "missing"), None);
    }

    #[test]
    fn the_day_is_quiet_at_four_and_busy_at_sixteen() {
        assert!((daily_shape(4.0) - 0.2).abs() < 1e-12);
        assert!((daily_shape(16.0) - 1.0).abs() < 1e-12);
        assert!(daily_shape(10.0) > daily_shape(6.0) && daily_shape(22.0) < daily_shape(16.0));
        let config = TrafficConfig { day: Duration::from_secs(240), start_hour: 9.0, ..TrafficConfig::default() };
        assert_eq!(hour_of_day(&config, Duration::from_secs(60)), 15.0);
        assert_eq!(hour_of_day(&config, Duration::from_secs(240)), 9.0);
    }

    #[test]
    fn requests_are_valid_oip_requests_except_the_share_meant_to_be_wrong() {
        let target = fraud_target();
        let (mut valid, mut labelled) = (0, 0);
        for index in 0..2_000 {
            let request = request_body(&target, false, 0.1, &mut Rng::item(1, "t", index));
            let decoded = oip::decode(&request.body, &target.schema);
            valid += usize::from(decoded.is_ok());
            if let Some(row) = request.labelled {
                labelled += 1;
                assert_eq!(decoded.expect("a labelled request is valid").rows, [row], "the one row of the request");
            }
        }
        assert!((1_700..1_900).contains(&valid), "{valid} valid of 2000 with a tenth wrong");
        assert!((1_150..1_400).contains(&labelled), "{labelled}: the valid requests of one row, 0.7 × 0.9 of 2000");
        let same = |i| request_body(&target, false, 0.1, &mut Rng::item(1, "t", i));
        assert_eq!(same(5), same(5), "same seed, same request");
    }

    #[tokio::test]
    async fn the_generator_sends_at_the_planned_rate_and_counts_answers() {
        let config = TrafficConfig {
            peak_rps: 200.0,
            day: Duration::from_secs(3600),
            start_hour: 16.0,
            max_requests: Some(40),
            ..TrafficConfig::default()
        };
        let plan = TrafficPlan { config, targets: vec![fraud_target()], drift_at: None, seed: 1, labels: None };
        // Nothing listens there: every request goes unanswered, quickly.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", closed.local_addr().expect("bound"));
        drop(closed);
        let traffic = Traffic::start(plan, url).expect("starts");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let early = traffic.stats().sent;
        assert!((5..=40).contains(&early), "about 20 in 100 ms at 200/s: {early}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while traffic.stats().unanswered < 40 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(traffic.stats(), TrafficStats { sent: 40, unanswered: 40, ..TrafficStats::default() });
    }
}
