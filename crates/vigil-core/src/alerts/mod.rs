//! Alerts: rules on the stored signals, the life of each alert, notifications, silences. The
//! domain is being built (issue 16); so far it holds `lifecycle`, how one alert moves between
//! normal, pending, firing, resolved and no data on each evaluation of its rule, and `anomaly`,
//! the seasonal baseline (median and MAD by hour of the week) a rule can use instead of a
//! hand-set bound. The front
//! (`engine.alerts()`), the rules, their evaluation after each poll and drift report, and the
//! notifications come next.

pub mod anomaly;
pub mod lifecycle;
