//! The cost report in sentences a product manager reads: what serving each model costs a
//! month, how much of it is idle, what 1,000 predictions cost (or that it made none), and how the
//! candidate compares with the stable; most money first, problems with placements before all.

use super::compare::CostComparison;
use super::figures::ModelCost;

/// The report's sentences: `problems` first, then each model's, most money first, each
/// followed by its comparisons.
pub fn sentences(
    problems: &[String],
    models: &[ModelCost],
    comparisons: &[CostComparison],
    window_hours: f64,
) -> Vec<String> {
    let mut ranked: Vec<(f64, String)> = Vec::new();
    for model in models {
        let shared = models.iter().filter(|m| m.model == model.model).count() > 1;
        let name = if shared { format!("{} on {}", model.model, model.server) } else { model.model.clone() };
        let idle = model.idle_share.map_or(String::new(), |idle| format!(", {:.0} % of it idle", idle * 100.0));
        let predictions = match model.per_thousand {
            Some(dollars) => format!("; 1,000 predictions cost {}", money(dollars)),
            None => format!("; it made no predictions in the last {}", span(window_hours)),
        };
        ranked
            .push((model.monthly, format!("serving {name} costs {} a month{idle}{predictions}", money(model.monthly))));
        let compared = comparisons.iter().filter(|c| (&c.server, &c.model) == (&model.server, &model.model));
        ranked.extend(compared.map(|c| (model.monthly, c.sentence.clone())));
    }
    // A stable sort: a model's comparisons stay after it.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    problems.iter().cloned().chain(ranked.into_iter().map(|(_, sentence)| sentence)).collect()
}

/// Dollars as people write them: `$1,449`, `$12.34`, `$0.0042`.
pub fn money(dollars: f64) -> String {
    if dollars.abs() >= 100.0 {
        let whole = format!("{:.0}", dollars.abs());
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{}${grouped}", if dollars < 0.0 { "-" } else { "" })
    } else if dollars.abs() >= 1.0 || dollars == 0.0 {
        format!("${dollars:.2}")
    } else {
        format!("${dollars:.4}")
    }
}

/// A window in words: `24 hours`, `hour`, `30 minutes`.
fn span(hours: f64) -> String {
    match hours {
        h if (h - 1.0).abs() < 1e-9 => "hour".to_owned(),
        h if h >= 1.0 => format!("{h:.0} hours"),
        h => format!("{:.0} minutes", h * 60.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str, monthly: f64, per_thousand: Option<f64>, idle_share: Option<f64>) -> ModelCost {
        ModelCost {
            server: format!("{name}-server"),
            model: name.into(),
            team: None,
            window_cost: monthly / 30.0,
            monthly,
            per_thousand,
            successful: 0.0,
            idle_share,
        }
    }

    #[test]
    fn the_most_money_comes_first_and_no_traffic_is_no_predictions() {
        let models = [model("churn", 412.0, None, Some(0.71)), model("fraud", 1448.64, Some(0.0123), None)];
        let said = sentences(&["a problem".into()], &models, &[], 24.0);
        assert_eq!(
            said,
            [
                "a problem",
                "serving fraud costs $1,449 a month; 1,000 predictions cost $0.0123",
                "serving churn costs $412 a month, 71 % of it idle; it made no predictions in the last 24 hours",
            ]
        );
        assert_eq!((money(17625.6), money(12.346), money(0.0)), ("$17,626".into(), "$12.35".into(), "$0.00".into()));
    }
}
