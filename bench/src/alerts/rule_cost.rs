//! Rule evaluation cost: `vigil collect` on the poller benchmark's loopback targets, each serving
//! a model of its own, without alert rules and with R rules (two for each of the first R / 2
//! targets, scoped to that server: its error share above 50 % and its p99 above 10 s, which
//! healthy targets never breach), evaluated after every stored poll. One more rule, the canary,
//! always holds once traffic is measured (traffic below 10^12 req/s on the first target, no
//! `for`), so a run shows that rules were evaluated. The same two databases otherwise;
//! `collect_cost` runs them in turn.

use std::path::Path;

use vigil_core::alerts::lifecycle::AlertState;
use vigil_core::alerts::rules::{Condition, RuleDraft, Scope, Severity, Signal};
use vigil_core::{Engine, EngineOptions};

use crate::collect_cost::{self, Feature, Options, Run};
use crate::poller::process::{self, Process};
use crate::poller::targets::Targets;

/// Runs the without / with runs in turn and returns them in order.
pub async fn measure(options: &Options, rules: usize, dir: &Path) -> Result<Vec<Run>, String> {
    process::allow_open_files(options.targets as u64 * 2 + 512)?;
    let targets = Targets::start_with_models(options.targets, options.targets).await?;
    let (without, with) = (dir.join("without-rules.db"), dir.join("with-rules.db"));
    println!("Registering {} targets in two databases, {rules} rules in one ...", targets.addresses.len());
    for (db, count) in [(&without, 0), (&with, rules)] {
        crate::poller::register(db.as_path(), &targets.addresses, options.interval).await?;
        prepare(db, count, options.targets).await?;
    }
    collect_cost::alternate(options, (&without, &with), dir, &mut Rules { count: rules }).await
}

/// Removes the built-in rules, then adds `count` rules scoped to the first servers.
async fn prepare(db: &Path, count: usize, targets: usize) -> Result<(), String> {
    let text = |error: vigil_core::VigilError| error.to_string();
    let engine = Engine::open(EngineOptions::new(db.to_owned())).await.map_err(text)?;
    for rule in engine.alerts().rules().await.map_err(text)? {
        engine.alerts().remove_rule(&rule.draft.name).await.map_err(text)?;
    }
    for number in 0..count {
        let server = format!("target-{:04}", (number / 2) % targets);
        let (signal, bound) = if number % 2 == 0 { (Signal::ErrorShare, 0.5) } else { (Signal::P99Seconds, 10.0) };
        let rule = RuleDraft {
            name: format!("rule {number}"),
            signal,
            condition: Condition::Above { bound },
            for_secs: 60,
            keep_firing_secs: 300,
            severity: Severity::Warning,
            scope: Scope::Server { server },
            runbook: None,
            enabled: true,
        };
        engine.alerts().save_rule(None, rule).await.map_err(text)?;
    }
    if count > 0 {
        let canary = RuleDraft {
            name: CANARY.into(),
            signal: Signal::RequestRate,
            condition: Condition::Below { bound: 1e12 },
            for_secs: 0,
            keep_firing_secs: 0,
            severity: Severity::Info,
            scope: Scope::Server { server: "target-0000".into() },
            runbook: None,
            enabled: true,
        };
        engine.alerts().save_rule(None, canary).await.map_err(text)?;
    }
    Ok(())
}

/// The rule that always holds.
const CANARY: &str = "canary";

struct Rules {
    count: usize,
}

impl Feature for Rules {
    fn noun(&self) -> &'static str {
        "rules"
    }

    async fn started(&mut self, _db: &Path, _collect: &mut Process) -> Result<(), String> {
        Ok(())
    }

    /// The rules, once the canary shows they were evaluated (firing, or without data when the
    /// first target's traffic is not measured); none of the others may fire.
    async fn served(&mut self, db: &Path, _since_ms: i64) -> Result<usize, String> {
        let engine = Engine::open(EngineOptions::new(db.to_owned())).await.map_err(|e| e.to_string())?;
        let alerts = engine.alerts().alerts().await.map_err(|e| e.to_string())?;
        if let Some(stray) = alerts.iter().find(|a| a.rule != CANARY && a.state == AlertState::Firing) {
            return Err(format!("a rule fired on a healthy target: {}", stray.sentence));
        }
        Ok(if alerts.iter().any(|a| a.rule == CANARY) { self.count } else { 0 })
    }
}
