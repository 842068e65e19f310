//! A drift report in one plain sentence, for the product manager: how many inputs shifted over
//! the period the report covers (named in the sentence), whether the predictions did, and, when
//! the newest hourly window (the heatmap's last column) disagrees with the whole period, that too:
//! "None of the 6 inputs have shifted over the last 24 hours; nor have predictions. In the newest
//! hour (from 14:00 UTC), though, monthly_charges shifted." Built from the same report the view
//! shows, so the sentence and the figures beside it cannot disagree.

use chrono::{DateTime, Utc};

use super::{ColumnRole, DriftReport};

/// `report` in words; `newest`, the report of its newest hourly window, when the report covers
/// more than that window.
pub fn summary(report: &DriftReport, newest: Option<&DriftReport>) -> String {
    let period = period(report.from, report.to, report.computed_at);
    if report.features == 0 {
        return match report.current_rows {
            0 => format!("No live data {period}: there is nothing to compare with the reference yet."),
            1 => format!("Only 1 live row {period}: too few to judge yet."),
            rows => format!("Only {} live rows {period}: too few to judge yet.", thousands(rows)),
        };
    }
    let (n, d) = (report.features, report.drifted_features);
    let inputs = match (n, d) {
        (1, 0) => format!("The only input has not shifted {period}"),
        (_, 0) => format!("None of the {n} inputs have shifted {period}"),
        (1, _) => format!("The only input has shifted {period}"),
        (_, 1) => format!("1 of {n} inputs has shifted {period}"),
        _ => format!("{d} of {n} inputs have shifted {period}"),
    };
    let predictions = match (report.prediction_drift, d) {
        (None, _) => "predictions are not compared (no prediction column or no live predictions)",
        (Some(true), 0) => "but predictions have",
        (Some(true), _) => "predictions have too",
        (Some(false), 0) => "nor have predictions",
        (Some(false), _) => "predictions have not",
    };
    let newest = newest.map(|newest| newest_words(report, newest)).unwrap_or_default();
    format!("{inputs}; {predictions}.{newest}")
}

/// What shifted in the newest window and not over the whole period, as a sentence of its own
/// (with a leading space); empty when the newest window agrees.
fn newest_words(whole: &DriftReport, newest: &DriftReport) -> String {
    let shifted_over = |report: &DriftReport| -> Vec<String> {
        let shifted = report.columns.iter().filter(|c| c.test.as_ref().is_some_and(|t| t.drifted));
        shifted
            .filter_map(|c| match c.role {
                ColumnRole::Feature => Some(c.column.clone()),
                ColumnRole::Prediction => Some("the predictions".to_owned()),
                ColumnRole::Target => None,
            })
            .collect()
    };
    let before = shifted_over(whole);
    let only_newest: Vec<String> = shifted_over(newest).into_iter().filter(|c| !before.contains(c)).collect();
    if only_newest.is_empty() {
        return String::new();
    }
    let names = listed(&only_newest);
    format!(" In the newest hour (from {} UTC), though, {names} shifted.", newest.from.format("%H:%M"))
}

/// The period from `from` to `to` as words: "over the last 24 hours" when it ends about when the
/// report was made, else with its end ("over the 3 hours to 2026-03-01 14:00 UTC"); a comparison
/// of two files (a range of no length) is "in the current file".
fn period(from: DateTime<Utc>, to: DateTime<Utc>, computed_at: DateTime<Utc>) -> String {
    if from == to {
        return "in the current file".to_owned();
    }
    let minutes = (to - from).num_minutes().max(1);
    let span = match minutes {
        60 => "hour".to_owned(),
        m if m % (24 * 60) == 0 && m > 24 * 60 => format!("{} days", m / (24 * 60)),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        1 => "minute".to_owned(),
        m => format!("{m} minutes"),
    };
    if (computed_at - to).num_minutes().abs() <= 5 {
        format!("over the last {span}")
    } else {
        let span = if span.contains(' ') { span } else { format!("1 {span}") };
        format!("over the {span} to {} UTC", to.format("%Y-%m-%d %H:%M"))
    }
}

/// "a", "a and b", "a, b and c".
fn listed(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// 12345 as "12,345".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::drift::report::ColumnDrift;
    use crate::drift::stats::{ColumnKind, Method, TestResult};

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap() + Duration::hours(hour.into())
    }

    /// A report from `from` to `to` (made at `to`) of features `a`…, `shifted` among them, and
    /// a prediction `p` that drifted or not (None: no prediction).
    fn report(features: &[&str], shifted: &[&str], prediction: Option<bool>, (from, to): (u32, u32)) -> DriftReport {
        let column = |name: &str, role, drifted: bool| ColumnDrift {
            column: name.to_owned(),
            kind: ColumnKind::Numeric,
            role,
            test: Some(TestResult { method: Method::Ks, statistic: 0.5, p_value: None, threshold: 0.05, drifted }),
            problem: None,
            severity: if drifted { 2.0 } else { 0.5 },
            reference_count: 10,
            current_count: 10,
            current_missing: 0,
            sampled: false,
            chosen: Default::default(),
            distributions: None,
        };
        let mut columns: Vec<ColumnDrift> =
            features.iter().map(|f| column(f, ColumnRole::Feature, shifted.contains(f))).collect();
        columns.extend(prediction.map(|drifted| column("p", ColumnRole::Prediction, drifted)));
        DriftReport {
            model: "churn".into(),
            version: None,
            computed_at: at(to),
            from: at(from),
            to: at(to),
            reference_source: "ref.csv".into(),
            reference_rows: 100,
            current_rows: 10,
            features: features.len(),
            drifted_features: shifted.len(),
            drifted_share: shifted.len() as f64 / features.len().max(1) as f64,
            share_threshold: 0.5,
            dataset_drift: false,
            prediction_drift: prediction,
            columns,
            skipped: vec![],
            summary: String::new(),
        }
    }

    const SIX: [&str; 6] = ["tenure", "monthly_charges", "contract", "payment", "senior", "partner"];

    #[test]
    fn the_sentence_names_its_period_and_the_counts_the_report_holds() {
        assert_eq!(
            summary(&report(&SIX, &[], Some(false), (0, 24)), None),
            "None of the 6 inputs have shifted over the last 24 hours; nor have predictions."
        );
        assert_eq!(
            summary(&report(&SIX, &["tenure", "contract"], Some(false), (23, 24)), None),
            "2 of 6 inputs have shifted over the last hour; predictions have not."
        );
        assert_eq!(
            summary(&report(&SIX, &["tenure"], Some(true), (0, 24)), None),
            "1 of 6 inputs has shifted over the last 24 hours; predictions have too."
        );
        assert_eq!(
            summary(&report(&["tenure"], &[], None, (0, 24)), None),
            "The only input has not shifted over the last 24 hours; predictions are not compared (no prediction \
             column or no live predictions)."
        );
        let mut week = report(&SIX, &[], Some(true), (0, 24));
        week.from = week.to - Duration::days(7);
        assert_eq!(
            summary(&week, None),
            "None of the 6 inputs have shifted over the last 7 days; but predictions have."
        );
    }

    #[test]
    fn a_report_that_ended_earlier_says_when() {
        let mut past = report(&SIX, &[], Some(false), (10, 13));
        past.computed_at = at(20);
        assert!(
            summary(&past, None)
                .starts_with("None of the 6 inputs have shifted over the 3 hours to 2026-03-03 13:00 UTC;"),
            "{}",
            summary(&past, None)
        );
    }

    #[test]
    fn a_comparison_of_two_files_speaks_of_the_current_file() {
        let mut files = report(&SIX, &["tenure"], Some(false), (24, 24));
        files.computed_at = files.to;
        assert_eq!(summary(&files, None), "1 of 6 inputs has shifted in the current file; predictions have not.");
    }

    #[test]
    fn no_rows_or_too_few_say_so_rather_than_that_nothing_shifted() {
        let mut empty = report(&[], &[], None, (0, 24));
        empty.current_rows = 0;
        assert_eq!(
            summary(&empty, None),
            "No live data over the last 24 hours: there is nothing to compare with the reference yet."
        );
        empty.current_rows = 12_345;
        assert_eq!(summary(&empty, None), "Only 12,345 live rows over the last 24 hours: too few to judge yet.");
    }

    #[test]
    fn when_the_newest_hour_shifted_and_the_day_did_not_the_sentence_says_both() {
        let day = report(&SIX, &[], Some(false), (0, 24));
        let newest = report(&SIX, &["monthly_charges"], Some(false), (23, 24));
        let words = summary(&day, Some(&newest));
        assert_eq!(
            words,
            "None of the 6 inputs have shifted over the last 24 hours; nor have predictions. In the newest hour \
             (from 23:00 UTC), though, monthly_charges shifted."
        );
        let newest = report(&SIX, &["monthly_charges", "tenure"], Some(true), (23, 24));
        assert!(summary(&day, Some(&newest)).ends_with("though, tenure, monthly_charges and the predictions shifted."));
    }

    #[test]
    fn a_newest_hour_that_agrees_adds_nothing() {
        let day = report(&SIX, &["tenure"], Some(false), (0, 24));
        let newest = report(&SIX, &["tenure"], Some(false), (23, 24));
        assert_eq!(summary(&day, Some(&newest)), summary(&day, None));
        let calm = report(&SIX, &[], Some(false), (23, 24));
        assert_eq!(summary(&day, Some(&calm)), summary(&day, None));
    }
}
