//! `vigil status`: the servers, each model with its combined figures and the objectives it
//! breaks, each revision with its role and share of traffic, and what each server uses; as
//! tables, or as JSON for scripts.

use vigil_core::dashboard::{ModelOverview, RevisionSignals};
use vigil_core::points::{signal, ServerResources};
use vigil_core::{Engine, Server, ServerKind, VigilError};

use crate::table;

/// `vigil status`: checks every server now, then prints the servers, each model with its
/// combined figures, each revision with its role and share, and resource use.
pub async fn run(engine: &Engine, json: bool) -> Result<(), VigilError> {
    let servers = engine.polling().check_all().await?;
    let revisions = engine.dashboard().revision_signals().await?;
    let models = engine.dashboard().model_overviews().await?;
    let resources = engine.dashboard().server_resources().await?;
    if json {
        let status = serde_json::json!({
            "servers": servers, "models": models, "revisions": revisions, "resources": resources,
        });
        println!("{}", serde_json::to_string_pretty(&status).expect("status serializes"));
        return Ok(());
    }
    print!("{}", server_table(&servers));
    if !models.is_empty() {
        println!();
        print!("{}", model_table(&models));
        println!();
        print!("{}", revision_table(&revisions, &models));
    }
    if !resources.is_empty() {
        println!();
        print!("{}", resource_table(&resources));
    }
    Ok(())
}

/// The fleet as an aligned text table, or a hint when it is empty.
pub fn server_table(servers: &[Server]) -> String {
    if servers.is_empty() {
        return "No servers yet. Add one: vigil server add NAME http://HOST:PORT\n".into();
    }
    let rows = servers.iter().map(|s| {
        let health = format!("{:?}", s.health).to_lowercase();
        let kind = match (s.kind, s.detected_kind) {
            (ServerKind::Auto, Some(found)) => format!("{} (detected)", found.as_str()),
            (kind, _) => kind.as_str().to_owned(),
        };
        let mut reason = s.health_reason.clone().unwrap_or_default();
        if let Some(error) = &s.metrics_error {
            reason.push_str(&format!("; metrics unreadable: {error}"));
        }
        [s.name.clone(), health, kind, s.base_url.clone(), reason]
    });
    table(["NAME", "HEALTH", "KIND", "URL", "REASON"], rows)
}

/// Each revision's latest golden signals; "—" where a signal was not measured.
/// A stored value scaled and with its unit, or a dash when never measured.
fn shown(latest: &std::collections::BTreeMap<String, f64>, name: &str, scale: f64, unit: &str) -> String {
    latest.get(name).map_or("—".to_owned(), |v| format!("{:.2}{unit}", v * scale))
}

/// What each server uses as a whole: CPU, memory, GPU.
fn resource_table(resources: &[ServerResources]) -> String {
    let rows = resources.iter().map(|r| {
        let cpu = match r.latest.get(signal::CPU_CORES) {
            Some(cores) => format!("{cores:.2} cores"),
            None => shown(&r.latest, signal::CPU_UTILIZATION, 100.0, "%"),
        };
        [
            r.server.clone(),
            cpu,
            shown(&r.latest, signal::MEMORY_BYTES, 1.0 / 1_048_576.0, " MiB"),
            shown(&r.latest, signal::GPU_UTILIZATION, 100.0, "%"),
            shown(&r.latest, signal::GPU_MEMORY_BYTES, 1.0 / 1_048_576.0, " MiB"),
        ]
    });
    table(["SERVER", "CPU", "MEMORY", "GPU", "GPU MEMORY"], rows)
}

/// Each model's status, combined figures and the objectives its revisions break.
fn model_table(models: &[ModelOverview]) -> String {
    let figure = |value: Option<f64>, scale: f64, unit: &str| {
        value.map_or("—".to_owned(), |v| format!("{:.2}{unit}", v * scale))
    };
    let rows = models.iter().map(|m| {
        let breaches: Vec<String> = m
            .revisions
            .iter()
            .filter(|r| !r.breaches.is_empty())
            .map(|r| {
                let broken: Vec<String> = r
                    .breaches
                    .iter()
                    .map(|b| serde_json::json!(b).as_str().map(str::to_owned).unwrap_or_default())
                    .collect();
                format!("{}:{}", version_name(&r.version), broken.join("+"))
            })
            .collect();
        [
            m.server.clone(),
            m.model.clone(),
            format!("{:?}", m.status.state).to_lowercase(),
            figure(m.rate, 1.0, "/s"),
            figure(m.error_share, 100.0, "%"),
            figure(m.p99_s, 1000.0, "ms"),
            if breaches.is_empty() { "—".to_owned() } else { breaches.join(",") },
        ]
    });
    table(["SERVER", "MODEL", "STATUS", "REQ/S", "ERRORS", "P99", "BREACHES"], rows)
}

fn version_name(version: &str) -> String {
    if version.is_empty() {
        "default".to_owned()
    } else {
        version.to_owned()
    }
}

/// Each revision's role, traffic share and latest golden signals.
fn revision_table(revisions: &[RevisionSignals], models: &[ModelOverview]) -> String {
    let value = |r: &RevisionSignals, name: &str, scale: f64, unit: &str| shown(&r.latest, name, scale, unit);
    let rows = revisions.iter().map(|r| {
        let overview = models
            .iter()
            .filter(|m| m.server == r.server && m.model == r.model)
            .flat_map(|m| &m.revisions)
            .find(|o| o.version == r.version);
        let role = overview.map_or("—".to_owned(), |o| format!("{:?}", o.role).to_lowercase());
        let share = overview.and_then(|o| o.share).map_or("—".to_owned(), |share| format!("{:.0}%", share * 100.0));
        [
            r.server.clone(),
            r.model.clone(),
            version_name(&r.version),
            role,
            share,
            format!("{:?}", r.health).to_lowercase(),
            value(r, signal::REQUEST_RATE, 1.0, "/s"),
            value(r, signal::ERROR_RATE, 100.0, "%"),
            value(r, signal::LATENCY_MEAN, 1000.0, "ms"),
            value(r, signal::LATENCY_P99, 1000.0, "ms"),
            format!("{}", r.requests_seen),
        ]
    });
    table(["SERVER", "MODEL", "VERSION", "ROLE", "SHARE", "HEALTH", "REQ/S", "ERRORS", "MEAN", "P99", "REQUESTS"], rows)
}
