//! `vigil rollout …`, `vigil target …`, `vigil history` and `vigil profile …`: rollouts from the
//! command line, for people and for CI pipelines. Every action is taken as a person: `--as NAME
//! --role ROLE`, or `VIGIL_AS` and `VIGIL_ROLE` from the environment; the OS user is recorded
//! beside them. `vigil rollout wait` exits 0 only when the rollout was promoted.

use std::time::Duration;

use clap::{Args, Subcommand};
use vigil_core::rollouts::people::{Person, Policy, Role};
use vigil_core::rollouts::plan::Plan;
use vigil_core::rollouts::record::RolloutState;
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::rollouts::view::RolloutView;
use vigil_core::{Engine, VigilError};

use crate::table;

/// Who is acting.
#[derive(Args, Clone)]
pub struct Actor {
    /// Your name, as on your profile [default: $VIGIL_AS]
    #[arg(long = "as", value_name = "NAME", env = "VIGIL_AS", global = true)]
    name: Option<String>,
    /// Your role: engineer, data_scientist or product_manager [default: $VIGIL_ROLE]
    #[arg(long, value_name = "ROLE", env = "VIGIL_ROLE", global = true)]
    role: Option<String>,
}

impl Actor {
    pub(crate) fn person(&self) -> Result<Person, VigilError> {
        let missing = || VigilError::invalid("as", "Say who acts: --as NAME --role ROLE (or VIGIL_AS and VIGIL_ROLE).");
        let name = self.name.as_deref().ok_or_else(missing)?;
        let role = Role::parse(self.role.as_deref().ok_or_else(missing)?)?;
        Person::here(name, role)
    }
}

/// `vigil rollout …`: the command, and whether to print JSON for scripts.
#[derive(Args)]
pub struct RolloutArgs {
    /// Print JSON for scripts (the rollout as the engine sees it after the command)
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: RolloutCommand,
}

#[derive(Subcommand)]
pub enum RolloutCommand {
    /// Start a rollout of a model's candidate revision by its plan
    Start {
        model: String,
        /// The candidate revision
        #[arg(long, value_name = "VERSION")]
        to: String,
        /// The stable revision [default: the one the target serves most]
        #[arg(long, value_name = "VERSION")]
        from: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Show rollouts (of one model), under way first, with their gates and who must sign
    Status { model: Option<String> },
    /// Sign off the step a rollout waits to enter, as your role
    Approve {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Refuse the step a rollout waits to enter (it is aborted); a reason is required
    Reject {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move a rollout into its next step now, or with --full to 100 % (sign-offs still needed)
    Promote {
        id: i64,
        #[arg(long)]
        full: bool,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Stop a rollout where it is
    Pause {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Go on with a paused rollout (its step's traffic is set again)
    Resume {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Stop a rollout and send all traffic back to its stable revision
    Abort {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Send all of a model's traffic to an earlier revision [default: its last rollout's stable]
    Rollback {
        model: String,
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Wait until a rollout ends; exit 0 only when it was promoted (for CI pipelines)
    Wait {
        id: i64,
        /// Give up after this many seconds (exit 1)
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<f64>,
    },
    /// Rollbacks, time to roll back, change-failure rate and time to promote, per model and overall
    Report,
    /// Show a model's plan, or set it from a TOML or JSON file
    Plan {
        model: String,
        /// A TOML or JSON file with the plan (steps, gates, min_requests, failure_limit, on_failure)
        #[arg(long, value_name = "FILE")]
        set: Option<std::path::PathBuf>,
    },
    /// Show a model's approval policy, or set it from a JSON file
    Policy {
        model: String,
        #[arg(long, value_name = "FILE")]
        set: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum TargetCommand {
    /// Set where a model's rollouts take effect, e.g.
    /// `vigil target add fraud --kind router --url http://127.0.0.1:17813/admin/routes/fraud`
    #[command(alias = "edit")]
    Add {
        model: String,
        /// router, oip_repository, mlflow, torchserve, kserve or webhook
        #[arg(long)]
        kind: String,
        #[arg(long)]
        url: Option<String>,
        /// Another setting of the kind, NAME=VALUE (VALUE read as JSON when it is JSON)
        #[arg(long = "set", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        /// Seconds each call may take [default: 5]
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<f64>,
    },
    /// List every model's target
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a model's target
    Remove { model: String },
    /// Read back what a model's target serves now
    Read { model: String },
}

#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Add a profile, or change its role
    Set { name: String, role: String },
    /// List profiles
    List,
    /// Remove a profile (its past decisions stay on the trail)
    Remove { name: String },
}

/// Prints `value` as JSON for scripts.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

fn show(view: &RolloutView) {
    let r = &view.rollout;
    println!("rollout {} of {}: {} → {}, {} at {} %", r.id, r.model, r.stable, r.candidate, r.state.key(), r.weight);
    println!("  {}", view.sentence);
    for line in &view.gate_lines {
        println!("  gate: {line}");
    }
    if !view.waiting_for.is_empty() {
        let who: Vec<&str> = view.waiting_for.iter().map(|r| r.words()).collect();
        println!("  waiting for: {}", who.join(", "));
    }
    for approval in &view.approvals {
        let word = if approval.approved { "approved" } else { "rejected" };
        println!("  {word} step {} by {} ({})", approval.step + 1, approval.actor, approval.role.words());
    }
    if let Some(error) = &r.error {
        println!("  target error: {error}");
    }
}

pub(crate) fn read_file(path: &std::path::Path) -> Result<String, VigilError> {
    std::fs::read_to_string(path)
        .map_err(|err| VigilError::invalid("file", format!("{} could not be read: {err}", path.display())))
}

pub async fn run(engine: &Engine, actor: &Actor, args: RolloutArgs) -> Result<(), VigilError> {
    let (rollouts, json) = (engine.rollouts(), args.json);
    let view = match args.command {
        RolloutCommand::Start { model, to, from, reason } => {
            rollouts.start(&actor.person()?, &model, &to, from.as_deref(), reason.as_deref()).await?
        }
        RolloutCommand::Approve { id, reason } => rollouts.approve(&actor.person()?, id, reason.as_deref()).await?,
        RolloutCommand::Reject { id, reason } => rollouts.reject(&actor.person()?, id, reason.as_deref()).await?,
        RolloutCommand::Promote { id, full, reason } => {
            rollouts.promote(&actor.person()?, id, full, reason.as_deref()).await?
        }
        RolloutCommand::Pause { id, reason } => rollouts.pause(&actor.person()?, id, reason.as_deref()).await?,
        RolloutCommand::Resume { id, reason } => rollouts.resume(&actor.person()?, id, reason.as_deref()).await?,
        RolloutCommand::Abort { id, reason } => rollouts.abort(&actor.person()?, id, reason.as_deref()).await?,
        RolloutCommand::Rollback { model, to, reason } => {
            rollouts.rollback(&actor.person()?, &model, to.as_deref(), reason.as_deref()).await?
        }
        RolloutCommand::Status { model } => {
            let views = rollouts.list(model.as_deref(), 50).await?;
            if json {
                print_json(&views);
            } else if views.is_empty() {
                println!("No rollouts yet: start one with `vigil rollout start MODEL --to VERSION`.");
            }
            if !json {
                views.iter().for_each(show);
            }
            return Ok(());
        }
        RolloutCommand::Wait { id, timeout } => return wait(engine, id, timeout, json).await,
        RolloutCommand::Report => return report(engine, json).await,
        RolloutCommand::Plan { model, set } => {
            if let Some(path) = set {
                rollouts.set_plan(&actor.person()?, &model, Plan::parse(&read_file(&path)?)?).await?;
            }
            print_json(&rollouts.plan(&model).await?);
            return Ok(());
        }
        RolloutCommand::Policy { model, set } => {
            if let Some(path) = set {
                let policy: Policy = serde_json::from_str(&read_file(&path)?)
                    .map_err(|err| VigilError::invalid("policy", format!("The policy is not valid JSON: {err}")))?;
                rollouts.set_policy(&actor.person()?, &model, policy).await?;
            }
            print_json(&rollouts.policy(&model).await?);
            return Ok(());
        }
    };
    if json {
        print_json(&view);
    } else {
        show(&view);
    }
    Ok(())
}

/// Waits for rollout `id` to end, reading the store (whichever engine drives it).
async fn wait(engine: &Engine, id: i64, timeout: Option<f64>, json: bool) -> Result<(), VigilError> {
    let deadline = timeout.map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    loop {
        let view = engine.rollouts().view(id).await?;
        if !view.rollout.state.active() {
            if json {
                print_json(&view)
            } else {
                show(&view)
            }
            return match view.rollout.state {
                RolloutState::Promoted => Ok(()),
                state => {
                    Err(VigilError::invalid("rollout", format!("Rollout {id} ended {}, not promoted.", state.key())))
                }
            };
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            return Err(VigilError::invalid(
                "timeout",
                format!("Rollout {id} is still {} after the time given.", view.rollout.state.key()),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn report(engine: &Engine, json: bool) -> Result<(), VigilError> {
    let report = engine.rollouts().report().await?;
    if json {
        print_json(&report);
        return Ok(());
    }
    let seconds = |s: Option<f64>| s.map_or("—".to_owned(), |s| format!("{s:.1} s"));
    let share = |s: Option<f64>| s.map_or("—".to_owned(), |s| format!("{:.0} %", s * 100.0));
    let all = "(all)".to_owned();
    let rows = report.models.iter().chain(std::iter::once((&all, &report.overall))).map(|(model, f)| {
        [
            model.clone(),
            f.started.to_string(),
            f.promoted.to_string(),
            f.rolled_back.to_string(),
            f.aborted.to_string(),
            share(f.change_failure_rate),
            seconds(f.time_to_roll_back_mean_s),
            seconds(f.time_to_promote_mean_s),
        ]
    });
    print!(
        "{}",
        table(
            [
                "MODEL",
                "ROLLOUTS",
                "PROMOTED",
                "ROLLED BACK",
                "ABORTED",
                "CHANGE FAILURE",
                "TIME TO ROLL BACK",
                "TIME TO PROMOTE"
            ],
            rows
        )
    );
    Ok(())
}

pub async fn target(engine: &Engine, actor: &Actor, command: TargetCommand) -> Result<(), VigilError> {
    let rollouts = engine.rollouts();
    match command {
        TargetCommand::Add { model, kind, url, fields, timeout } => {
            let mut spec = serde_json::Map::new();
            spec.insert("kind".into(), kind.into());
            if let Some(url) = url {
                spec.insert("url".into(), url.into());
            }
            for field in fields {
                let (name, value) = field
                    .split_once('=')
                    .ok_or_else(|| VigilError::invalid("set", format!("'{field}' must be NAME=VALUE.")))?;
                let value = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
                spec.insert(name.trim().to_owned(), value);
            }
            let spec: TargetSpec = serde_json::from_value(spec.into())
                .map_err(|err| VigilError::invalid("kind", format!("Not a target this Vigil knows: {err}")))?;
            let timeout = timeout.map(Duration::from_secs_f64);
            let stored = rollouts.set_target(&actor.person()?, &model, spec, timeout).await?;
            println!(
                "{model}'s rollouts now take effect at the {} {}",
                stored.spec.kind_name(),
                stored.spec.location()
            );
        }
        TargetCommand::List { json } => {
            let targets = rollouts.targets().await?;
            if json {
                print_json(&targets);
            } else {
                let rows = targets.iter().map(|t| {
                    [
                        t.model.clone(),
                        t.spec.kind_name().to_owned(),
                        t.spec.location().to_owned(),
                        format!("{:.1} s", t.timeout_ms as f64 / 1000.0),
                    ]
                });
                print!("{}", table(["MODEL", "KIND", "AT", "TIMEOUT"], rows));
            }
        }
        TargetCommand::Remove { model } => {
            rollouts.remove_target(&actor.person()?, &model).await?;
            println!("removed {model}'s target");
        }
        TargetCommand::Read { model } => {
            let traffic =
                rollouts.read_target(&model).await.map_err(|failure| VigilError::invalid("target", failure.message))?;
            println!("{model}: {}", traffic.describe());
        }
    }
    Ok(())
}

/// `vigil history MODEL`: every revision, the traffic over time, every rollout and rollback.
pub async fn history(engine: &Engine, model: &str, json: bool) -> Result<(), VigilError> {
    let history = engine.rollouts().history(model).await?;
    if json {
        print_json(&history);
        return Ok(());
    }
    println!("{model}: {} revisions, {} rollouts", history.revisions.len(), history.rollouts.len());
    for entry in history.timeline.iter().rev() {
        println!("{}  {}", entry.at.format("%Y-%m-%d %H:%M:%S"), entry.text);
    }
    Ok(())
}

pub async fn profile(engine: &Engine, actor: &Actor, command: ProfileCommand) -> Result<(), VigilError> {
    let rollouts = engine.rollouts();
    match command {
        ProfileCommand::Set { name, role } => {
            rollouts.set_profile(&name, Role::parse(&role)?).await?;
            println!("profile {name} is a {}", Role::parse(&role)?.words());
        }
        ProfileCommand::List => {
            let rows = rollouts.profiles().await?.into_iter().map(|p| [p.name, p.role.words().to_owned()]);
            print!("{}", table(["NAME", "ROLE"], rows));
        }
        ProfileCommand::Remove { name } => {
            rollouts.remove_profile(&actor.person()?, &name).await?;
            println!("removed profile {name}");
        }
    }
    Ok(())
}
