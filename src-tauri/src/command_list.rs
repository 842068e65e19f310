// The commands the window may call, declared once. `main.rs` registers them with Tauri,
// `build.rs` makes tauri-build's `allow-<command>` permission of each, the UI's `Command` type is
// generated from them (`bindings.rs`), and `tests/tests/capabilities.rs` checks the capability
// file and the UI's calls against them. build.rs and that test `include!` this file, so it holds
// only macros and plain comments.

/// Hands `$then!` every command the window may call, by its function's name in
/// is the one place that gate is written for the command list.
macro_rules! command_list {
    ($then:ident) => {
        $then! {
            alert_deliveries,
            alert_history,
            alert_receiver_remove,
            alert_receiver_save,
            alert_receivers,
            alert_rule_remove,
            alert_rule_save,
            alert_rules,
            alert_silence,
            alert_silence_end,
            alert_silences,
            alerts_list,
            app_info,
            app_quit,
            audit_export,
            audit_log,
            audit_verify,
            capacity_plan,
            come_forward,
            cost_catalog,
            cost_catalog_export,
            cost_catalog_import,
            cost_catalog_remove,
            cost_catalog_save,
            cost_place,
            cost_report,
            environment_diff,
            environment_fingerprints,
            environment_gather,
            environment_import,
            parity_cancel,
            parity_latest,
            parity_start,
            #[cfg(feature = "demo")]
            demo_remove_servers,
            #[cfg(feature = "demo")]
            demo_start,
            demo_status,
            deployment_history,
            #[cfg(feature = "demo")]
            demo_stop,
            drift_cancel_import,
            drift_import_reference,
            drift_latest,
            drift_reference,
            drift_report,
            drift_set_choice,
            drift_set_share,
            drift_timeline,
            drift_versions,
            fleet_snapshot,
            load_test_cancel,
            load_test_hosts,
            load_test_set_hosts,
            load_test_start,
            load_tests,
            model_chart,
            model_overviews,
            objective_set,
            opening_place,
            performance_report,
            profile_set,
            profiles_list,
            rollout_act,
            rollout_plan_set,
            rollout_policy_set,
            rollout_report,
            rollout_rollback,
            rollout_settings,
            rollout_start,
            rollouts_list,
            server_add,
            server_remove,
            server_update,
            share_report,
            startup_trouble,
            store_backup,
            store_choose,
            store_restore,
            store_settings,
            target_remove,
            target_set,
            targets_list,
        }
    };
}

/// The names on the list as `&[&str]`, whatever the build's features, so that one capability
/// file and one UI serve every build: `command_list!(command_names)`.
#[allow(unused_macros)] // used by build.rs, the bindings test and tests/capabilities.rs, not by the app
macro_rules! command_names {
    ($($(#[$gate:meta])* $name:ident,)*) => {
        &[$(stringify!($name)),*]
    };
}
