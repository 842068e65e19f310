// How the model view writes the engine's performance report: each realized figure with the count
// it rests on (or "—" and the engine's reason), each estimate with its band, and the report's
// notes in words. Formatting only: every number is the engine's.

import type {
  ClassifierMetrics,
  Estimate,
  NotLogged,
  PerformanceWindow,
  RegressorMetrics,
  WindowPerformance,
} from "./bindings";
import { percent } from "./format";

/** One figure as the panel shows it. */
export interface Figure {
  /** The engine's field name: "accuracy", "roc_auc", "mae", … */
  metric: string;
  label: string;
  /** The figure written short ("0.84", "0.84 (0.81–0.87)"), or "—" when undefined. */
  text: string;
  /** The engine's sentence saying why the figure is undefined; null when it is defined. */
  reason: string | null;
  /** What the figure rests on, in words: "on 412 labelled predictions". */
  basis: string;
  /** The exact figure, for a hover. */
  exact: string;
  /** An estimate outside the thresholds learned from the reference, in words; null otherwise. */
  alert: string | null;
}

type Style = "score" | "magnitude" | "share";

/** A score between 0 and 1 (or R², at most 1), two decimals: "0.84". */
const score = (value: number) => value.toFixed(2);

function written(value: number, style: Style): string {
  if (style === "share") return percent(value);
  if (style === "score") return score(value);
  return Math.abs(value) >= 1000 ? value.toLocaleString("en-US", { maximumFractionDigits: 0 }) : value.toPrecision(3);
}

const CLASSIFIER: { metric: keyof ClassifierMetrics & string; label: string; style: Style }[] = [
  { metric: "accuracy", label: "Accuracy", style: "score" },
  { metric: "precision", label: "Precision", style: "score" },
  { metric: "recall", label: "Recall", style: "score" },
  { metric: "f1", label: "F1", style: "score" },
  { metric: "roc_auc", label: "ROC AUC", style: "score" },
  { metric: "log_loss", label: "Log loss", style: "magnitude" },
];

const REGRESSOR: { metric: keyof RegressorMetrics & string; label: string; style: Style }[] = [
  { metric: "mae", label: "MAE", style: "magnitude" },
  { metric: "rmse", label: "RMSE", style: "magnitude" },
  { metric: "mape", label: "MAPE", style: "share" },
  { metric: "r2", label: "R²", style: "score" },
];

/** "412 labelled predictions", "1 labelled prediction". */
export const counted = (count: number, noun: string) => `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;

/**
 * The engine's sentence on why `label` is undefined: it opens with the figure's name ("ROC AUC
 * is undefined: …", "Macro precision is undefined: …"). Every sentence when none names it.
 */
export function reasonFor(label: string, sentences: string[]): string {
  const named = sentences.find((sentence) => {
    const lower = sentence.toLowerCase();
    const name = label.toLowerCase();
    return lower.startsWith(`${name} is undefined`) || lower.startsWith(`macro ${name} is undefined`);
  });
  return named ?? (sentences.join(" ") || `${label} is undefined.`);
}

function realized<M extends ClassifierMetrics | RegressorMetrics>(
  metrics: M,
  figures: { metric: string; label: string; style: Style }[],
): Figure[] {
  const basis = `on ${counted(metrics.count, "labelled prediction")}`;
  return figures.map(({ metric, label, style }) => {
    const value = metrics[metric as keyof M] as number | null;
    return value === null
      ? { metric, label, text: "—", reason: reasonFor(label, metrics.undefined), basis, exact: "", alert: null }
      : { metric, label, text: written(value, style), reason: null, basis, exact: String(value), alert: null };
  });
}

/** A window's realized figures, classifier's or regressor's; none before any label. */
export function realizedFigures(window: WindowPerformance): Figure[] {
  if (window.classifier) return realized(window.classifier, CLASSIFIER);
  if (window.regressor) return realized(window.regressor, REGRESSOR);
  return [];
}

const labelOf = (metric: string) => CLASSIFIER.find((figure) => figure.metric === metric)?.label ?? metric;
/** A figure's name within a sentence: "accuracy", "log loss", but "F1", "ROC AUC". */
const inSentence = (label: string) => (/^[A-Z][a-z]/.test(label) ? label[0].toLowerCase() + label.slice(1) : label);

/** "0.80–0.90", "at least 0.80", "at most 0.90". */
function thresholdWords({ lower, upper }: Estimate["thresholds"]): string {
  if (lower !== null && upper !== null) return `${score(lower)}–${score(upper)}`;
  if (lower !== null) return `at least ${score(lower)}`;
  if (upper !== null) return `at most ${score(upper)}`;
  return "none";
}

/** One CBPE estimate with its band: "0.84 (0.81–0.87)". */
export function estimatedFigure(estimate: Estimate): Figure {
  const label = labelOf(estimate.metric);
  return {
    metric: estimate.metric,
    label: `Estimated ${inSentence(label)}`,
    text: `${score(estimate.value)} (${score(estimate.lower)}–${score(estimate.upper)})`,
    reason: null,
    basis: `from ${counted(estimate.count, "prediction")}, labelled or not`,
    exact: `${estimate.value} (band ${estimate.lower}–${estimate.upper}, sampling error ${estimate.sampling_error})`,
    alert: estimate.alert
      ? `Outside the range learned from the reference (${thresholdWords(estimate.thresholds)}): the model's ${inSentence(label)} has likely moved`
      : null,
  };
}

/** What precision, recall and F1 are of: the positive class, or a macro mean. */
export function averagingWords(metrics: ClassifierMetrics, positiveClass: string): string {
  return metrics.averaging.kind === "binary"
    ? `Precision, recall and F1 are those of the positive class ${positiveClass}.`
    : `Precision, recall and F1 are macro-averaged over the ${metrics.averaging.classes} classes seen.`;
}

/** A window by its start: "2026-12-03 10:00 UTC" for an hour, "2026-12-03" for a day. */
export function windowName(start: string, window: PerformanceWindow): string {
  const iso = new Date(start).toISOString();
  return window === "hour" ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso.slice(0, 10);
}

/** "412 labels wait for their predictions"; null when none waits. */
export function labelsWaitingWords(count: number): string | null {
  if (count === 0) return null;
  return count === 1
    ? "1 label waits for its prediction: it joins it when the prediction is logged."
    : `${count.toLocaleString("en-US")} labels wait for their predictions: each joins its prediction when that is logged.`;
}

/** "1,204 predictions were not logged: …". */
export function notLoggedWords(skipped: NotLogged): string {
  const verb = skipped.count === 1 ? "was" : "were";
  return `${counted(skipped.count, "prediction")} ${verb} not logged: ${skipped.reason}`;
}

/** The table's columns for a revision's windows: a regressor's MAE, RMSE and R², else a classifier's accuracy, F1 and ROC AUC. */
export function tableMetrics(windows: WindowPerformance[]): { metric: string; label: string }[] {
  const regressor = windows.some((window) => window.regressor);
  const picked = regressor ? ["mae", "rmse", "r2"] : ["accuracy", "f1", "roc_auc"];
  return (regressor ? REGRESSOR : CLASSIFIER).filter((figure) => picked.includes(figure.metric));
}

/** One cell of the table: a window's realized figure (none before labels) beside its estimate (if made). */
export function tableCell(window: WindowPerformance, metric: string): { realized: Figure | null; estimated: Figure | null } {
  const estimate = window.estimated.find((e) => e.metric === metric);
  return {
    realized: realizedFigures(window).find((figure) => figure.metric === metric) ?? null,
    estimated: estimate ? estimatedFigure(estimate) : null,
  };
}
