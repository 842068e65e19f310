//! Alerts: rules on the stored signals, the life of each alert, notifications, silences.
//! [`Alerts`] is the domain's one front (`engine.alerts()`). Below it:
//!
//! - `rules`: what a rule is (signal, condition, `for`, `keep_firing_for`, severity, scope,
//!   runbook), its one check, the built-in defaults;
//! - `facts`: one reading of the fleet the rules are judged on; `history`: the seasonal
//!   baselines (from hourly rollups) an anomaly condition compares with; `anomaly`: the baseline
//!   itself (median and MAD by hour of the week);
//! - `lifecycle`: how one alert moves between normal, pending, firing, resolved and no data;
//!   `evaluate`: one round of every rule on every subject, the history of changes with evidence;
//! - `silences`; `receivers` (desktop, webhook, Slack; routing by labels); `dispatch` (grouping,
//!   group wait, group interval, repeat interval, as Alertmanager does); `deliver` (the bodies);
//! - `watch`: the background task that evaluates after every stored poll and drift report and
//!   sends what is due; `queries`: the statements on the rule, alert and history tables.

pub mod anomaly;
mod deliver;
pub mod dispatch;
pub mod evaluate;
pub mod facts;
pub mod history;
pub mod lifecycle;
pub mod queries;
pub mod receivers;
pub mod rules;
pub mod silences;
mod view;
mod watch;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::Mutex;

use crate::context::Context;
use crate::duties::Scope;
use crate::events::EngineEvent;
use crate::performance::report::PerformanceReport;
use crate::{Result, VigilError};
use evaluate::RoundOutcome;
use history::Baselines;
use queries::HistoryEntry;
use receivers::{Delivery, Receiver, ReceiverDraft};
use rules::{AlertRule, RuleDraft};
use silences::{Silence, SilenceDraft};
pub use view::AlertView;
pub use watch::AlertWatch;

/// The alerts front. Cheap to clone.
#[derive(Clone)]
pub struct Alerts {
    context: Context,
    /// The seasonal baselines, read again once an hour.
    baselines: Arc<Mutex<Baselines>>,
    /// The rules as last read, with the version they were read at.
    rules: Arc<Mutex<Option<CachedRules>>>,
    /// The models' performance reports as last read for the rules, and when.
    performance: Arc<Mutex<Option<CachedReports>>>,
}

/// Rules as read at a version of the rules table.
type CachedRules = (queries::RulesVersion, Arc<Vec<AlertRule>>);
/// Performance reports by model, as read at a time.
type CachedReports = (DateTime<Utc>, Arc<HashMap<String, PerformanceReport>>);

impl Alerts {
    pub(crate) fn new(context: Context) -> Alerts {
        Alerts { context, baselines: Arc::default(), rules: Arc::default(), performance: Arc::default() }
    }

    /// Puts in the built-in rules, once per database.
    pub(crate) async fn seed_default_rules(&self) -> Result<()> {
        let now = Utc::now();
        let mut write = self.context.write().await?;
        if queries::mark_seeded(&mut write, now).await? {
            for draft in rules::defaults() {
                queries::save_rule(&mut write, None, &draft, true, now).await?;
            }
        }
        write.commit().await
    }

    pub async fn rules(&self) -> Result<Vec<AlertRule>> {
        queries::rules(&mut *self.context.pool().acquire().await?).await
    }

    /// The rules, read again only when they changed (in any process: their count or newest
    /// edit moved), for the rounds that run after every stored poll.
    async fn current_rules(&self) -> Result<Arc<Vec<AlertRule>>> {
        let mut conn = self.context.pool().acquire().await?;
        let version = queries::rules_version(&mut conn).await?;
        let mut cached = self.rules.lock().await;
        match &*cached {
            Some((known, rules)) if *known == version => Ok(rules.clone()),
            _ => {
                let rules = Arc::new(queries::rules(&mut conn).await?);
                *cached = Some((version, rules.clone()));
                Ok(rules)
            }
        }
    }

    /// Saves a rule: a new one (`id` None) or an edit of rule `id`; audited.
    pub async fn save_rule(&self, id: Option<i64>, draft: RuleDraft) -> Result<AlertRule> {
        let draft = draft.check()?;
        let mut write = self.context.write().await?;
        let builtin = match id {
            Some(id) => queries::rules(&mut write).await?.iter().any(|r| r.id == id && r.builtin),
            None => false,
        };
        queries::save_rule(&mut write, id, &draft, builtin, Utc::now()).await?;
        let saved =
            queries::rule(&mut write, &draft.name).await?.ok_or_else(|| VigilError::NotFound(draft.name.clone()))?;
        write.audit("alert.rule_saved", &draft.name, json!({"rule": saved.draft, "summary": saved.summary})).await?;
        write.announce(EngineEvent::AlertsChanged);
        write.commit().await?;
        Ok(saved)
    }

    /// Removes a rule and its alerts; its history stays. Audited.
    pub async fn remove_rule(&self, name: &str) -> Result<()> {
        let mut write = self.context.write().await?;
        queries::remove_rule(&mut write, name).await?;
        write.audit("alert.rule_removed", name, json!({})).await?;
        write.announce(EngineEvent::AlertsChanged);
        write.commit().await
    }

    /// Every alert not at rest, firing first (most severe first), then pending, without data,
    /// and resolved (newest first).
    pub async fn alerts(&self) -> Result<Vec<AlertView>> {
        let mut conn = self.context.pool().acquire().await?;
        view::alerts(&mut conn, Utc::now()).await
    }

    /// The newest `limit` changes people were told of, newest first.
    pub async fn history(&self, limit: u32) -> Result<Vec<HistoryEntry>> {
        queries::history(&mut *self.context.pool().acquire().await?, i64::from(limit)).await
    }

    /// Silences that have not ended.
    pub async fn silences(&self) -> Result<Vec<Silence>> {
        silences::current(&mut *self.context.pool().acquire().await?, Utc::now()).await
    }

    /// Silences the alerts `draft` matches for its time range; audited.
    pub async fn silence(&self, draft: SilenceDraft) -> Result<Silence> {
        let now = Utc::now();
        let draft = draft.check(now)?;
        let mut write = self.context.write().await?;
        let silence = silences::insert(&mut write, &draft, &self.context.options().actor, now).await?;
        let subject = draft.matcher.words();
        write
            .audit(
                "alert.silenced",
                &subject,
                json!({"silence": silence.id, "until": silence.ends_at, "reason": silence.reason}),
            )
            .await?;
        write.announce(EngineEvent::AlertsChanged);
        write.commit().await?;
        Ok(silence)
    }

    /// Ends silence `id` now; audited.
    pub async fn end_silence(&self, id: i64) -> Result<Silence> {
        let mut write = self.context.write().await?;
        let silence = silences::end(&mut write, id, Utc::now()).await?;
        write.audit("alert.silence_ended", &silence.matcher.words(), json!({"silence": id})).await?;
        write.announce(EngineEvent::AlertsChanged);
        write.commit().await?;
        Ok(silence)
    }

    pub async fn receivers(&self) -> Result<Vec<Receiver>> {
        receivers::list(&mut *self.context.pool().acquire().await?).await
    }

    /// Saves a receiver under its name; audited (its secret's reference, never the secret).
    pub async fn save_receiver(&self, draft: ReceiverDraft) -> Result<()> {
        let draft = draft.check()?;
        let mut write = self.context.write().await?;
        receivers::save(&mut write, &draft).await?;
        write.audit("alert.receiver_saved", &draft.name, json!({"receiver": draft})).await?;
        write.announce(EngineEvent::AlertsChanged);
        write.commit().await
    }

    pub async fn remove_receiver(&self, name: &str) -> Result<()> {
        let mut write = self.context.write().await?;
        receivers::remove(&mut write, name).await?;
        write.audit("alert.receiver_removed", name, json!({})).await?;
        write.commit().await
    }

    /// The newest `limit` notifications sent or tried, newest first.
    pub async fn deliveries(&self, limit: u32) -> Result<Vec<Delivery>> {
        receivers::deliveries(&mut *self.context.pool().acquire().await?, i64::from(limit)).await
    }

    /// Evaluates every rule on the whole fleet as stored at `now`, in one write; announces
    /// `AlertsChanged` when an alert fired, resolved or lost its data.
    pub async fn evaluate(&self, now: DateTime<Utc>) -> Result<RoundOutcome> {
        self.evaluate_in(now, &Scope::AllBut(Default::default())).await
    }

    /// Evaluates every rule at `now` on the servers `scope` covers, and stores what changed.
    pub(crate) async fn evaluate_in(&self, now: DateTime<Utc>, scope: &Scope) -> Result<RoundOutcome> {
        let rules = self.current_rules().await?;
        let pool = self.context.pool();
        let wanted = facts::Wanted::by(&rules);
        let mut facts = facts::Facts::read(pool, now, wanted).await?;
        if wanted.performance {
            facts.set_performance(self.performance_reports(&facts, now).await?);
        }
        let mut baselines = self.baselines.lock().await;
        let anomaly =
            rules.iter().any(|r| r.draft.enabled && matches!(r.draft.condition, rules::Condition::Anomaly { .. }));
        if anomaly && !baselines.fresh(now) {
            *baselines = Baselines::read(&mut *pool.acquire().await?, now).await?;
        }
        let mut write = self.context.write().await?;
        let outcome = evaluate::round(&mut write, &rules, &facts, &baselines, (now, scope)).await?;
        if !outcome.changes.is_empty() {
            write.announce(EngineEvent::AlertsChanged);
        }
        write.commit().await?;
        Ok(outcome)
    }

    /// The performance reports of the models in `facts`, read again once they are
    /// [`facts::PERFORMANCE_FRESH`] old.
    async fn performance_reports(
        &self,
        facts: &facts::Facts,
        now: DateTime<Utc>,
    ) -> Result<Arc<HashMap<String, PerformanceReport>>> {
        let mut cached = self.performance.lock().await;
        if let Some((read_at, reports)) = &*cached {
            if now - *read_at < facts::PERFORMANCE_FRESH && now >= *read_at {
                return Ok(reports.clone());
            }
        }
        let reports = Arc::new(facts::performance_reports(self.context.pool(), facts.model_names(), now).await?);
        *cached = Some((now, reports.clone()));
        Ok(reports)
    }

    /// Sends every notification due at `now`; returns how many were sent.
    pub async fn dispatch(&self, now: DateTime<Utc>) -> Result<usize> {
        if !receivers::anything_to_tell(&mut *self.context.pool().acquire().await?).await? {
            return Ok(0);
        }
        let rules = self.current_rules().await?;
        let due = {
            let mut write = self.context.write().await?;
            let due = dispatch::due_now(&mut write, &rules, now).await?;
            write.commit().await?;
            due
        };
        let mut sent = 0;
        for notification in &due {
            let failure = deliver::send(&self.context, notification).await.err();
            if let Some(why) = &failure {
                tracing::warn!("the notification to {} was not delivered: {why}", notification.receiver.draft.name);
            } else {
                sent += 1;
            }
            let mut write = self.context.write().await?;
            dispatch::record(&mut write, notification, failure, now).await?;
            write.commit().await?;
        }
        Ok(sent)
    }

    /// Starts evaluating after every stored poll and drift report, and sending what is due;
    /// stops when the handle is dropped.
    pub fn start(&self) -> AlertWatch {
        watch::start(self.clone())
    }
}
