//! TypeScript declarations of every type that crosses into the UI, generated from the Rust
//! types with ts-rs so the UI never holds a hand-written copy.
//!
//! The generated file is `ui/src/lib/bindings.ts`. Beside the types it holds the engine's lists
//! the UI must not copy: the signal names (`SignalName`), the drift tests each column kind may
//! be given (`DRIFT_METHODS`) and the price catalog's columns (`CATALOG_COLUMNS`). A test fails when it is stale; regenerate it with `make bindings`
//! (which runs that test with `VIGIL_UPDATE_BINDINGS=1`).

use ts_rs::{Config, TS};
use vigil_requirements::{Format, Installer, PackageDiff, Pin, Risk};

use crate::alerts::lifecycle::AlertState;
use crate::alerts::queries::HistoryEntry;
use crate::alerts::receivers::{Delivery, Receiver, ReceiverDraft, ReceiverKind};
use crate::alerts::rules::{AlertRule, Condition, RuleDraft, Scope, Severity, Signal as AlertSignal};
use crate::alerts::silences::{Matcher, Silence, SilenceDraft};
use crate::alerts::AlertView;
use crate::audit::{AuditEntry, BrokenEntry, ChainCheck, ExportFormat};
use crate::backup::BackupReport;
use crate::cost::capacity::{CapacityOption, CapacityPlan, CapacityRequest, MixedPart};
use crate::cost::catalog::{InstanceType, Price};
use crate::cost::compare::CostComparison;
use crate::cost::loadtest::{LoadTestProgress, LoadTestRequest, LoadTestResult, LoadTestStep};
use crate::cost::placements::Placement;
use crate::cost::report::{CostReport, ModelCost, RevisionCost, ServerCost, TeamCost};
use crate::cost::series::{CostSeries, NamedSeries};
use crate::cost::ImportSummary;
use crate::dashboard::overview::{ModelOverview, ModelState, ModelStatus, RevisionOverview, RevisionRole};
use crate::dashboard::{ChartEvent, ChartEventKind, ChartRevision, ModelChart, RevisionSignals, REVISION_SIGNALS};
use crate::drift::methods::{self, MethodRule};
use crate::drift::reference::{ReferenceColumn, ReferenceRequest, ReferenceSummary};
use crate::drift::report::{
    ColumnChoice, ColumnDrift, ColumnRole, Distributions, DriftReport, DriftTimeline, SkippedColumn, TimelineCell,
};
use crate::drift::schema::ColumnUse;
use crate::drift::stats::{ColumnKind, Method, TestResult};
use crate::drift::table::{BadRows, ImportProgress, SkippedRow};
use crate::engine::{AppInfo, FleetSnapshot};
use crate::environment::{BuiltEnvironment, EnvironmentDiff, Fingerprint, MlflowSource};
use crate::error::{ErrorCode, ErrorPayload};
use crate::events::EngineEvent;
use crate::health::HealthState;
use crate::kinds::ServerKind;
use crate::objectives::{Bound, Breach, ModelObjectives, ObjectiveDefaults, Objectives};
use crate::parity::{Mismatch, OutputRule, OutputSummary, ParityProgress, ParityReport, ParityRequest, Protocol};
use crate::performance::labels::LabelImport;
use crate::performance::report::{
    Averaging, CbpeMetric, ClassifierMetrics, Estimate, FeedbackVerdict, NotLogged, PerformanceMetric,
    PerformanceReport, PerformanceWindow, RegressorMetrics, RevisionPerformance, Thresholds, WindowPerformance,
};
use crate::performance::settings::PredictionSettings;
use crate::performance::DeletedLog;
use crate::rollouts::gates::{Evidence, GateResult, ParityEvidence, Verdict, Window};
use crate::rollouts::history::{
    DeploymentHistory, RevisionSeen, RolloutFigures, RolloutReport, TimelineEntry, TrafficChange,
};
use crate::rollouts::people::{Person, Policy, Profile, Role};
use crate::rollouts::plan::{Gate, Metric, OnFailure, Plan, Step};
use crate::rollouts::record::{Approval, Rollout, RolloutState};
use crate::rollouts::targets::{Capabilities, KserveSpec, TargetSpec, TorchServeSpec, Traffic, WebhookSpec};
use crate::rollouts::view::RolloutView;
use crate::rollouts::{RolloutAction, StoredTarget};
use crate::servers::{NewServer, Server};
use crate::store::choice::{StoreChoice, StoreSettings};
use crate::store_copy::CopyReport;
use crate::window_link::Place;

/// The contents of `ui/src/lib/bindings.ts`.
pub fn typescript() -> String {
    let config = Config::default();
    let declarations = [
        AppInfo::decl(&config),
        Place::decl(&config),
        StoreChoice::decl(&config),
        StoreSettings::decl(&config),
        BackupReport::decl(&config),
        CopyReport::decl(&config),
        ErrorCode::decl(&config),
        ErrorPayload::decl(&config),
        HealthState::decl(&config),
        ServerKind::decl(&config),
        Server::decl(&config),
        NewServer::decl(&config),
        FleetSnapshot::decl(&config),
        RevisionSignals::decl(&config),
        RevisionRole::decl(&config),
        RevisionOverview::decl(&config),
        ModelState::decl(&config),
        ModelStatus::decl(&config),
        ModelOverview::decl(&config),
        Bound::decl(&config),
        Objectives::decl(&config),
        Breach::decl(&config),
        ModelObjectives::decl(&config),
        ObjectiveDefaults::decl(&config),
        ModelChart::decl(&config),
        ChartRevision::decl(&config),
        ChartEvent::decl(&config),
        ChartEventKind::decl(&config),
        AuditEntry::decl(&config),
        EngineEvent::decl(&config),
        ColumnKind::decl(&config),
        Method::decl(&config),
        MethodRule::decl(&config),
        TestResult::decl(&config),
        ColumnRole::decl(&config),
        Distributions::decl(&config),
        ColumnChoice::decl(&config),
        ColumnDrift::decl(&config),
        SkippedColumn::decl(&config),
        DriftReport::decl(&config),
        TimelineCell::decl(&config),
        DriftTimeline::decl(&config),
        ColumnUse::decl(&config),
        BadRows::decl(&config),
        ImportProgress::decl(&config),
        SkippedRow::decl(&config),
        ReferenceColumn::decl(&config),
        ReferenceSummary::decl(&config),
        ReferenceRequest::decl(&config),
        PerformanceWindow::decl(&config),
        Averaging::decl(&config),
        ClassifierMetrics::decl(&config),
        CbpeMetric::decl(&config),
        Thresholds::decl(&config),
        Estimate::decl(&config),
        RegressorMetrics::decl(&config),
        WindowPerformance::decl(&config),
        RevisionPerformance::decl(&config),
        NotLogged::decl(&config),
        FeedbackVerdict::decl(&config),
        PerformanceMetric::decl(&config),
        PerformanceReport::decl(&config),
        LabelImport::decl(&config),
        PredictionSettings::decl(&config),
        DeletedLog::decl(&config),
        ChainCheck::decl(&config),
        BrokenEntry::decl(&config),
        ExportFormat::decl(&config),
        Role::decl(&config),
        Person::decl(&config),
        Profile::decl(&config),
        Policy::decl(&config),
        Step::decl(&config),
        Metric::decl(&config),
        Gate::decl(&config),
        OnFailure::decl(&config),
        Plan::decl(&config),
        Verdict::decl(&config),
        Window::decl(&config),
        GateResult::decl(&config),
        Evidence::decl(&config),
        ParityEvidence::decl(&config),
        RolloutState::decl(&config),
        Rollout::decl(&config),
        Approval::decl(&config),
        RolloutView::decl(&config),
        RolloutAction::decl(&config),
        Capabilities::decl(&config),
        Traffic::decl(&config),
        WebhookSpec::decl(&config),
        TorchServeSpec::decl(&config),
        KserveSpec::decl(&config),
        TargetSpec::decl(&config),
        StoredTarget::decl(&config),
        RevisionSeen::decl(&config),
        TrafficChange::decl(&config),
        TimelineEntry::decl(&config),
        DeploymentHistory::decl(&config),
        RolloutFigures::decl(&config),
        RolloutReport::decl(&config),
        Format::decl(&config),
        Installer::decl(&config),
        Pin::decl(&config),
        Risk::decl(&config),
        PackageDiff::decl(&config),
        BuiltEnvironment::decl(&config),
        MlflowSource::decl(&config),
        Fingerprint::decl(&config),
        EnvironmentDiff::decl(&config),
        Protocol::decl(&config),
        OutputRule::decl(&config),
        OutputSummary::decl(&config),
        Mismatch::decl(&config),
        ParityProgress::decl(&config),
        ParityReport::decl(&config),
        ParityRequest::decl(&config),
        LoadTestRequest::decl(&config),
        LoadTestProgress::decl(&config),
        LoadTestStep::decl(&config),
        LoadTestResult::decl(&config),
        CapacityRequest::decl(&config),
        CapacityOption::decl(&config),
        MixedPart::decl(&config),
        CapacityPlan::decl(&config),
        Placement::decl(&config),
        ServerCost::decl(&config),
        RevisionCost::decl(&config),
        ModelCost::decl(&config),
        TeamCost::decl(&config),
        CostComparison::decl(&config),
        NamedSeries::decl(&config),
        CostSeries::decl(&config),
        CostReport::decl(&config),
        Price::decl(&config),
        InstanceType::decl(&config),
        ImportSummary::decl(&config),
        AlertState::decl(&config),
        AlertSignal::decl(&config),
        Condition::decl(&config),
        Scope::decl(&config),
        Severity::decl(&config),
        RuleDraft::decl(&config),
        AlertRule::decl(&config),
        AlertView::decl(&config),
        HistoryEntry::decl(&config),
        Matcher::decl(&config),
        SilenceDraft::decl(&config),
        Silence::decl(&config),
        ReceiverKind::decl(&config),
        ReceiverDraft::decl(&config),
        Receiver::decl(&config),
        Delivery::decl(&config),
    ];
    let mut out =
        String::from("// Generated from the Rust types in crates/vigil-core by `make bindings`. Do not edit.\n");
    for declaration in declarations {
        out.push_str("\nexport ");
        out.push_str(&declaration);
        out.push('\n');
    }
    let signals: Vec<String> = REVISION_SIGNALS.iter().map(|name| format!("\"{name}\"")).collect();
    out.push_str(&format!(
        "\n/** Every signal a revision can have, as stored. */\nexport type SignalName = {};\n",
        signals.join(" | ")
    ));
    out.push_str(&format!(
        "\n/** The drift tests each column kind may be given, with their default thresholds. */\n\
         export const DRIFT_METHODS: Record<ColumnKind, Array<MethodRule>> = {};\n",
        drift_methods()
    ));
    let columns: Vec<String> = crate::cost::catalog::COLUMNS.iter().map(|name| format!("\"{name}\"")).collect();
    out.push_str(&format!(
        "\n/** The price catalog's CSV columns, in order: the names the engine gives fields in its errors. */\n\
         export const CATALOG_COLUMNS = [{}] as const;\n",
        columns.join(", ")
    ));
    out
}

/// Each column kind's tests, as a JSON object keyed by the kind's name.
fn drift_methods() -> String {
    let by_kind: serde_json::Map<String, serde_json::Value> = methods::KINDS
        .into_iter()
        .map(|kind| {
            let name = serde_json::json!(kind).as_str().unwrap_or_default().to_owned();
            (name, serde_json::json!(methods::for_kind(kind)))
        })
        .collect();
    serde_json::to_string_pretty(&by_kind).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn generated_typescript_bindings_are_fresh() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
        let expected = super::typescript();
        if std::env::var_os("VIGIL_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &expected).expect("write bindings.ts");
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "ui/src/lib/bindings.ts is stale: a Rust type that crosses into the UI changed. Run `make bindings`."
        );
    }
}
