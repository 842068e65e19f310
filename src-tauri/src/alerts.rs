//! The window's alert commands: the alerts (firing first), their history, the rules (list, save,
//! remove), silences (list, add, end), receivers (list, save, remove) and the notifications sent.
//! Each calls one function of the engine's alerts front. `commands.rs` re-exports them, so that
//! the command list names them like every other command.

use tauri::State;
use vigil_core::alerts::queries::HistoryEntry;
use vigil_core::alerts::receivers::{Delivery, Receiver, ReceiverDraft};
use vigil_core::alerts::rules::{AlertRule, RuleDraft};
use vigil_core::alerts::silences::{Silence, SilenceDraft};
use vigil_core::alerts::AlertView;
use vigil_core::Engine;

use crate::commands::{to_payload, CommandResult};

/// How many history entries and deliveries the window reads.
const RECENT: u32 = 200;

/// Every alert not at rest: firing first (most severe first), then pending, no data, resolved.
#[tauri::command]
pub async fn alerts_list(engine: State<'_, Engine>) -> CommandResult<Vec<AlertView>> {
    engine.alerts().alerts().await.map_err(to_payload)
}

/// The newest changes people were told of, with their evidence.
#[tauri::command]
pub async fn alert_history(engine: State<'_, Engine>) -> CommandResult<Vec<HistoryEntry>> {
    engine.alerts().history(RECENT).await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_rules(engine: State<'_, Engine>) -> CommandResult<Vec<AlertRule>> {
    engine.alerts().rules().await.map_err(to_payload)
}

/// Saves a new rule (`id` null) or an edit of rule `id`.
#[tauri::command]
pub async fn alert_rule_save(engine: State<'_, Engine>, id: Option<i64>, rule: RuleDraft) -> CommandResult<AlertRule> {
    engine.alerts().save_rule(id, rule).await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_rule_remove(engine: State<'_, Engine>, name: String) -> CommandResult<()> {
    engine.alerts().remove_rule(&name).await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_silences(engine: State<'_, Engine>) -> CommandResult<Vec<Silence>> {
    engine.alerts().silences().await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_silence(engine: State<'_, Engine>, silence: SilenceDraft) -> CommandResult<Silence> {
    engine.alerts().silence(silence).await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_silence_end(engine: State<'_, Engine>, id: i64) -> CommandResult<Silence> {
    engine.alerts().end_silence(id).await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_receivers(engine: State<'_, Engine>) -> CommandResult<Vec<Receiver>> {
    engine.alerts().receivers().await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_receiver_save(engine: State<'_, Engine>, receiver: ReceiverDraft) -> CommandResult<()> {
    engine.alerts().save_receiver(receiver).await.map_err(to_payload)
}

#[tauri::command]
pub async fn alert_receiver_remove(engine: State<'_, Engine>, name: String) -> CommandResult<()> {
    engine.alerts().remove_receiver(&name).await.map_err(to_payload)
}

/// The newest notifications sent or tried, with the receiver's words when one failed.
#[tauri::command]
pub async fn alert_deliveries(engine: State<'_, Engine>) -> CommandResult<Vec<Delivery>> {
    engine.alerts().deliveries(RECENT).await.map_err(to_payload)
}
