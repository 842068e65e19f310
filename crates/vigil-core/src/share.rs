//! A model's report to share: one self-contained HTML file a product manager can open from an
//! email. Plain words first (the engine's own sentences: health, drift, rollout, cost,
//! performance), then the figures they come from: each revision's traffic and objectives, the
//! last hour's requests as an inline SVG line, the newest drift report column by column, the
//! cost per prediction and the newest window of realized performance. No script, no stylesheet
//! or font fetched, nothing to install: every name from outside is escaped as text.

use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};

use crate::dashboard::overview::ModelOverview;
use crate::dashboard::queries::ModelChart;
use crate::drift::report::DriftReport;
use crate::performance::report::{PerformanceReport, PerformanceWindow};
use crate::points::signal;
use crate::{Engine, Result, VigilError};

/// Everything a report on one model shows, as the engine computed it.
struct Gathered {
    model: String,
    at: DateTime<Utc>,
    overviews: Vec<ModelOverview>,
    /// Each overview's chart, in the same order, and the period it covers in words.
    charts: Vec<(ModelChart, &'static str)>,
    drift: Vec<DriftReport>,
    rollout: Option<String>,
    cost: Vec<String>,
    performance: Option<PerformanceReport>,
}

/// `model`'s report as one HTML document, as of now.
pub async fn html(engine: &Engine, model: &str) -> Result<String> {
    let model = model.trim();
    let at = Utc::now();
    let overviews: Vec<ModelOverview> =
        engine.dashboard().model_overviews().await?.into_iter().filter(|o| o.model == model).collect();
    let drift: Vec<DriftReport> =
        engine.drift().latest_reports().await?.into_iter().filter(|r| r.model == model).collect();
    if overviews.is_empty() && drift.is_empty() {
        return Err(VigilError::NotFound(format!(
            "No model called '{model}' is served or has a drift report: `vigil status` lists the models."
        )));
    }
    let mut charts = Vec::new();
    for overview in &overviews {
        // The last day, by the minute; a model polled for less than a few minutes has too few of
        // those, and its last two hours are drawn poll by poll.
        let chart = |hours| engine.dashboard().model_chart(&overview.server, model, at - Duration::hours(hours), at);
        let day = chart(24).await?;
        let drawn = |c: &ModelChart| {
            c.revisions.iter().any(|r| r.series.get(signal::REQUEST_RATE).is_some_and(|p| p.len() >= 2))
        };
        charts.push(if drawn(&day) { (day, "last 24 hours") } else { (chart(2).await?, "last 2 hours") });
    }
    let rollout = engine.rollouts().list(Some(model), 1).await?.into_iter().next().map(|view| view.sentence);
    // Cost and performance need a catalog and a prediction log; a report without them says so.
    let cost = match engine.cost().report(Duration::hours(24)).await {
        Ok(report) => report.comparisons.into_iter().filter(|c| c.model == model).map(|c| c.sentence).collect(),
        Err(_) => Vec::new(),
    };
    let performance = engine.performance().report(model, PerformanceWindow::Day, at - Duration::days(7)).await.ok();
    Ok(render(&Gathered { model: model.to_owned(), at, overviews, charts, drift, rollout, cost, performance }))
}

/// Writes `model`'s report to `path` whole or not at all (a file beside it, then renamed), and
/// returns its size in bytes.
pub async fn write(engine: &Engine, model: &str, path: &std::path::Path) -> Result<usize> {
    let html = html(engine, model).await?;
    let cannot = |err: std::io::Error| {
        VigilError::invalid(
            "file",
            format!("Cannot write the report to {}: {err}. Choose another place.", path.display()),
        )
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, &html).map_err(cannot)?;
    std::fs::rename(&partial, path).map_err(|err| {
        let _ = std::fs::remove_file(&partial);
        cannot(err)
    })?;
    Ok(html.len())
}

fn render(g: &Gathered) -> String {
    let mut out = String::new();
    let title = format!("{} — Vigil report, {}", g.model, g.at.format("%Y-%m-%d %H:%M UTC"));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        text(&title),
        text(&title)
    );
    out += "<section id=\"plain-words\"><h2>In plain words</h2>\n";
    let sentences = g
        .overviews
        .iter()
        .map(|o| o.sentence.clone())
        .chain(g.drift.iter().map(|r| r.summary.clone()))
        .chain(g.rollout.clone())
        .chain(g.cost.iter().cloned())
        .chain(g.performance.as_ref().and_then(|p| p.feedback.as_ref()).map(|f| f.sentence.clone()));
    for sentence in sentences {
        let _ = writeln!(out, "<p>{}</p>", text(&sentence));
    }
    out += "</section>\n";
    for (overview, (chart, period)) in g.overviews.iter().zip(&g.charts) {
        revisions(&mut out, overview, chart, period);
    }
    for report in &g.drift {
        drift(&mut out, report);
    }
    if let Some(report) = &g.performance {
        performance(&mut out, report);
    }
    let link = crate::window_link::Place::Model { name: g.model.clone() }.link();
    let _ = write!(
        out,
        "<footer>Written by Vigil at {}. Where Vigil is installed, <code>{}</code> opens this model in its window.\
         </footer>\n</body></html>\n",
        g.at.to_rfc3339(),
        text(&link)
    );
    out
}

fn revisions(out: &mut String, o: &ModelOverview, chart: &ModelChart, period: &str) {
    let _ = writeln!(out, "<section class=\"server\"><h2>On {}</h2>", text(&o.server));
    let _ = writeln!(out, "<p class=\"status\">{}</p>", text(&o.status.reason));
    for revision in &chart.revisions {
        let Some(points) = revision.series.get(signal::REQUEST_RATE).filter(|points| points.len() >= 2) else {
            continue;
        };
        let version = if revision.version.is_empty() { "default" } else { &revision.version };
        let _ = writeln!(
            out,
            "<figure>{}<figcaption>{}: requests a second, {period}</figcaption></figure>",
            line(points),
            text(version)
        );
    }
    out.push_str(
        "<table><thead><tr><th>Version</th><th>Role</th><th>Share</th><th>Health</th>\
         <th>Requests/s</th><th>Failing</th><th>p99</th></tr></thead><tbody>\n",
    );
    for r in &o.revisions {
        let version = if r.version.is_empty() { "default" } else { &r.version };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(version),
            format!("{:?}", r.role).to_lowercase(),
            r.share.map_or("—".into(), |s| format!("{:.0} %", s * 100.0)),
            format!("{:?}", r.health).to_lowercase(),
            r.rate.map_or("—".into(), |v| format!("{v:.1}")),
            r.error_share.map_or("—".into(), |v| format!("{:.1} %", v * 100.0)),
            r.p99_s.map_or("—".into(), |v| format!("{:.0} ms", v * 1000.0)),
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn drift(out: &mut String, r: &DriftReport) {
    let version = r.version.as_deref().map(|v| format!(" ({})", text(v))).unwrap_or_default();
    let _ = writeln!(
        out,
        "<section class=\"drift\"><h2>Drift{version}</h2><p>{} live rows from {} to {} against {} reference rows \
         from {}.</p>",
        r.current_rows,
        r.from.format("%Y-%m-%d %H:%M"),
        r.to.format("%Y-%m-%d %H:%M UTC"),
        r.reference_rows,
        text(&r.reference_source)
    );
    out.push_str("<table><thead><tr><th>Column</th><th>Role</th><th>Test</th><th>Score</th><th>Threshold</th><th>Drifted</th></tr></thead><tbody>\n");
    for c in &r.columns {
        let (method, score, threshold, drifted) = match &c.test {
            Some(t) => (
                format!("{:?}", t.method),
                format!("{:.4}", t.score()),
                format!("{}", t.threshold),
                if t.drifted { "yes" } else { "no" }.to_owned(),
            ),
            None => ("—".into(), "—".into(), "—".into(), c.problem.clone().unwrap_or_else(|| "not tested".into())),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{method}</td><td>{score}</td><td>{threshold}</td><td>{}</td></tr>",
            text(&c.column),
            format!("{:?}", c.role).to_lowercase(),
            text(&drifted)
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn performance(out: &mut String, p: &PerformanceReport) {
    let newest: Vec<_> = p.revisions.iter().filter_map(|r| Some((&r.version, r.windows.last()?))).collect();
    if newest.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"performance\"><h2>Realized performance, newest day</h2><table><thead><tr>\
         <th>Version</th><th>Predictions</th><th>Labelled</th><th>Accuracy</th><th>F1</th><th>RMSE</th></tr></thead><tbody>\n",
    );
    let figure = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.3}"));
    for (version, w) in newest {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(if version.is_empty() { "default" } else { version }),
            w.predictions,
            w.labelled,
            figure(w.classifier.as_ref().and_then(|c| c.accuracy)),
            figure(w.classifier.as_ref().and_then(|c| c.f1)),
            figure(w.regressor.as_ref().and_then(|r| r.rmse)),
        );
    }
    out.push_str("</tbody></table></section>\n");
}

/// `points` (Unix ms, value) as an SVG line 320 × 60, its axis from zero to the largest value.
fn line(points: &[(i64, f64)]) -> String {
    let (w, h) = (320.0, 60.0);
    let (first, last) = (points[0].0 as f64, points[points.len() - 1].0 as f64);
    let top = points.iter().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
    let span = (last - first).max(1.0);
    let coordinates: Vec<String> = points
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|&(t, v)| format!("{:.1},{:.1}", (t as f64 - first) / span * w, h - v / top * (h - 4.0)))
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-label=\"requests a second, at most {top:.1}\"><polyline fill=\"none\" stroke=\"#0f766e\" stroke-width=\"2\" \
         points=\"{}\"/></svg>",
        coordinates.join(" ")
    )
}

/// `raw` as HTML text: the five characters that could end it escaped.
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font:15px/1.5 system-ui,sans-serif;color:#1f2937;max-width:60rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #e5e7eb;overflow-wrap:anywhere}\
th{font-size:.8rem;text-transform:uppercase;color:#6b7280}#plain-words p{font-size:1.05rem}\
footer{margin-top:2rem;color:#6b7280;font-size:.85rem}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_outside_cannot_become_markup() {
        assert_eq!(
            text("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn the_line_spans_the_width_and_its_highest_point_nears_the_top() {
        let svg = line(&[(0, 0.0), (30_000, 10.0), (60_000, 5.0)]);
        assert!(svg.contains("points=\"0.0,60.0 160.0,4.0 320.0,32.0\""), "{svg}");
    }
}
