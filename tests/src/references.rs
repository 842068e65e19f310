//! The demo fleet's reference data imported as the desktop's demo imports it: the prediction
//! column, the `target`, and a classifier's label output skipped (the model's answer, not one
//! of its inputs), so drift reports and load test bodies see the features only.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::drift::schema::ColumnUse;
use vigil_core::Engine;
use vigil_fleet::RunningFleet;

/// Imports `rows` rows of reference data for each model of `fleet`, each written to a file in `dir`.
pub async fn import_fleet_references(engine: &Engine, fleet: &RunningFleet, rows: usize, dir: &Path) {
    for reference in fleet.references(rows) {
        let path = dir.join(format!("{}.csv", reference.model));
        std::fs::write(&path, &reference.csv).expect("write the reference");
        let skip = || ColumnUse::Skip { reason: "the model's predicted label".into() };
        let request = ReferenceRequest {
            model: reference.model,
            prediction: Some(reference.prediction.into()),
            target: Some(reference.target.into()),
            columns: reference.other_outputs.iter().map(|name| (name.to_string(), skip())).collect(),
            ..ReferenceRequest::default()
        };
        engine.drift().import_reference(path, request, |_| {}, Arc::new(AtomicBool::new(false))).await.expect("import");
    }
}
