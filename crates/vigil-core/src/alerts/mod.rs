//! Alerts: rules on the stored signals, the life of each alert, notifications, silences. The
//! domain is being built (issue 16); so far it holds `lifecycle`, how one alert moves between
//! normal, pending, firing, resolved and no data on each evaluation of its rule. The front
//! (`engine.alerts()`), the rules, their evaluation after each poll and drift report, and the
//! notifications come next.

pub mod lifecycle;
