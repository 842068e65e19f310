import { describe, expect, it } from "vitest";
import {
  bars,
  byAttention,
  bySeverity,
  driftedWords,
  driftRange,
  DRIFT_RANGES,
  heatLevel,
  latestFrom,
  mergeReport,
  mergeReported,
  rangeOfReport,
  scoreText,
  sinceWords,
  sortColumns,
  testWords,
  thresholdText,
  verdictOf,
  windowLabel,
  bytesText,
  choiceWords,
  defaultThreshold,
  isChosen,
  isPValue,
  methodsFor,
  parseThreshold,
} from "./drift";
import { column, report } from "./driftFixtures";
import { NOW } from "./fixtures";

const names = (columns: { column: string }[]) => columns.map((c) => c.column);

describe("columns by severity", () => {
  it("puts drifted columns first, the most severe first, untested last", () => {
    const untested = column({ column: "notes", test: null, problem: "no live values", severity: 0 });
    const columns = [...report().columns, untested];
    expect(names(bySeverity(columns))).toEqual(["country", "amount", "age", "is_fraud", "notes"]);
  });

  it("sorts by any header, and the other way on a second click", () => {
    const columns = report().columns;
    expect(names(sortColumns(columns, "column"))).toEqual(["age", "amount", "country", "is_fraud"]);
    expect(names(sortColumns(columns, "column", true))).toEqual(["is_fraud", "country", "amount", "age"]);
    expect(names(sortColumns(columns, "role"))).toEqual(["age", "amount", "country", "is_fraud"]);
    expect(names(sortColumns(columns, "kind"))).toEqual(["is_fraud", "country", "age", "amount"]);
    expect(names(sortColumns(columns, "method"))).toEqual(["country", "age", "amount", "is_fraud"]);
    expect(names(sortColumns(columns, "drifted"))[0]).toBe("country");
    expect(names(sortColumns(columns, "severity", true))).toEqual(["is_fraud", "age", "amount", "country"]);
  });
});

describe("scores", () => {
  it("writes a p-value as p, a distance as the number, and the threshold's direction", () => {
    const [age, amount, country] = report().columns;
    expect(scoreText(age.test)).toBe("p = 0.41");
    expect(scoreText(amount.test)).toBe("p = 0.0012");
    expect(scoreText({ ...amount.test!, p_value: 3e-12 })).toBe("p < 0.0001");
    expect(scoreText(country.test)).toBe("0.31");
    expect(scoreText(null)).toBe("—");
    expect(thresholdText(amount.test)).toBe("p < 0.05");
    expect(thresholdText(country.test)).toBe("≥ 0.1");
    expect(testWords(amount.test)).toBe("Kolmogorov–Smirnov: p = 0.0012 (statistic 0.21); drifts when p is below 0.05");
    expect(testWords(country.test)).toBe("Jensen–Shannon: 0.31; drifts at or above 0.1");
    expect(testWords(null, "no live values")).toBe("no live values");
    expect(scoreText({ method: "chi_square", statistic: Infinity, p_value: null, threshold: 0.05, drifted: true })).toBe("∞");
  });
});

describe("times in words", () => {
  const sat = NOW; // Saturday 28 November 2026, 12:00 UTC

  it("names the weekday within a week, today for today, the date before", () => {
    expect(sinceWords("2026-11-28T11:00:00Z", sat, "UTC")).toBe("today 11:00");
    expect(sinceWords("2026-11-27T13:00:00Z", sat, "UTC")).toBe("Friday 13:00");
    expect(sinceWords("2026-10-29T12:00:00Z", sat, "UTC")).toBe("29 Oct 12:00");
  });
});

describe("ranges", () => {
  it("offers 1 h, 24 h, 7 d and 30 d ending now, and knows a report's preset", () => {
    expect(DRIFT_RANGES.map((r) => r.label)).toEqual(["1 h", "24 h", "7 d", "30 d"]);
    expect(driftRange("24h", NOW)).toEqual({ fromMs: NOW - 86_400_000, toMs: NOW });
    expect(driftRange("1h", NOW + 0.4).toMs).toBe(NOW);
    expect(rangeOfReport({ from: "2026-11-27T12:00:00Z", to: "2026-11-28T12:00:20Z" })).toBe("24h");
    expect(rangeOfReport(report())).toBeNull();
  });
});

describe("latest verdicts", () => {
  it("merges a drift_reported event into the list, replacing the model's entry", () => {
    const list = latestFrom([report(), report({ model: "churn", dataset_drift: false, drifted_features: 0 })]);
    expect(list.map((l) => l.model)).toEqual(["churn", "fraud"]);
    const after = mergeReported(list, {
      kind: "drift_reported",
      model: "churn",
      version: "4",
      dataset_drift: false,
      drifted_features: 1,
      features: 5,
    });
    expect(after.map((l) => l.model)).toEqual(["churn", "fraud"]);
    expect(after[0]).toMatchObject({ version: "4", drifted_features: 1, features: 5, stale: true });
    expect(after[0].report?.model, "the old report stays on show until the new one is read").toBe("churn");
    expect(after[1]).toMatchObject({ model: "fraud", stale: false });

    const added = mergeReported(after, { kind: "drift_reported", model: "ads", version: null, dataset_drift: false, drifted_features: 0, features: 0 });
    expect(added.map((l) => l.model)).toEqual(["ads", "churn", "fraud"]);
    expect(added[0]).toMatchObject({ report: null, stale: true });
    expect(mergeReport(added, report({ model: "ads" }))[0]).toMatchObject({ model: "ads", stale: false });
  });

  it("keeps one entry a model, its newest report, when drift_latest answers one for each version", () => {
    const older = report({ version: "v1", computed_at: "2026-11-28T10:00:00Z" });
    const newer = report({ version: "v2", computed_at: "2026-11-28T11:00:00Z", drifted_features: 0 });
    expect(latestFrom([newer, older])).toEqual([expect.objectContaining({ model: "fraud", version: "v2", drifted_features: 0 })]);
    expect(latestFrom([older, newer])).toHaveLength(1);
  });

  it("gives each model a word: Drift, OK or No live data, with the count on hover", () => {
    expect(verdictOf({ dataset_drift: true, drifted_features: 2, features: 3 })).toEqual({
      word: "Drift",
      tone: "bad",
      why: "2 of 3 inputs drifted; the data set as a whole has drifted",
    });
    expect(verdictOf({ dataset_drift: false, drifted_features: 1, features: 3 }).word).toBe("Drift");
    expect(verdictOf({ dataset_drift: false, drifted_features: 0, features: 3 })).toMatchObject({ word: "OK", tone: "ok" });
    expect(verdictOf({ dataset_drift: false, drifted_features: 0, features: 0 })).toMatchObject({ word: "No live data", tone: "muted" });
    expect(driftedWords({ dataset_drift: true, drifted_features: 2, features: 3 })).toBe("2 of 3 inputs drifted");
    expect(driftedWords({ dataset_drift: false, drifted_features: 1, features: 1 })).toBe("1 of 1 input drifted");
    const list = latestFrom([report({ model: "a", dataset_drift: false, drifted_features: 0 }), report({ model: "b" })]);
    expect(byAttention(list).map((l) => l.model)).toEqual(["b", "a"]);
  });
});

describe("distributions and heatmap", () => {
  it("labels numeric bins by their edges and categories by name", () => {
    expect(bars(report().columns[1].distributions!).map((b) => b.label)).toEqual(["[0, 50)", "[50, 100)", "[100, 150]"]);
    expect(bars(report().columns[2].distributions!)).toEqual([
      { label: "FR", reference: 0.6, current: 0.2 },
      { label: "DE", reference: 0.3, current: 0.3 },
      { label: "US", reference: 0.1, current: 0.5 },
    ]);
  });

  it("steps the colour by severity, drifted cells always in the drifted steps", () => {
    expect(heatLevel(null)).toBe("none");
    expect(heatLevel({ drifted: false, severity: 0, problem: "only 36 live values; a verdict needs at least 500" })).toBe(
      "unjudged",
    );
    expect(heatLevel({ drifted: false, severity: 0.1 })).toBe(0);
    expect(heatLevel({ drifted: false, severity: 0.5 })).toBe(1);
    expect(heatLevel({ drifted: false, severity: 0.9 })).toBe(2);
    expect(heatLevel({ drifted: true, severity: 0.99 })).toBe(3);
    expect(heatLevel({ drifted: true, severity: 2.5 })).toBe(4);
  });

  it("writes window starts as hours for hourly windows, dates for daily ones, and bytes in units", () => {
    expect(windowLabel("2026-11-28T09:00:00Z", 3600, "UTC")).toBe("09:00");
    expect(windowLabel("2026-11-28T00:00:00Z", 86_400, "UTC")).toBe("28 Nov");
    expect(bytesText(512)).toBe("512 B");
    expect(bytesText(12.3 * 1024 * 1024)).toBe("12.3 MB");
  });
});

describe("a column's chosen test", () => {
  it("offers the tests the engine accepts for the column's kind, with the engine's default thresholds", () => {
    expect(methodsFor("numeric")).toEqual(["ks", "chi_square", "z_test", "psi", "jensen_shannon", "wasserstein", "hellinger"]);
    expect(methodsFor("categorical")).toEqual(["chi_square", "z_test", "psi", "jensen_shannon", "hellinger"]);
    expect(methodsFor("binary")).toEqual(methodsFor("categorical"));
    expect([defaultThreshold("chi_square"), defaultThreshold("hellinger")]).toEqual([0.05, 0.1]);
    expect([isPValue("z_test"), isPValue("wasserstein")]).toEqual([true, false]);
  });

  it("says whether a person chose it, and what", () => {
    expect(isChosen({ method: null, threshold: null, learned: false })).toBe(false);
    expect(isChosen({ method: null, threshold: 0.2, learned: false })).toBe(true);
    expect(choiceWords({ method: "psi", threshold: 0.2, learned: false })).toBe("Chosen: PSI, threshold 0.2");
    expect(choiceWords({ method: "ks", threshold: null, learned: false })).toBe("Chosen: Kolmogorov–Smirnov, its default threshold");
    expect(choiceWords({ method: null, threshold: null, learned: false })).toBe("Evidently's default test and threshold for this column");
    expect(choiceWords({ method: "wasserstein", threshold: null, learned: true })).toBe(
      "Chosen: Wasserstein (normed), threshold learned from the reference",
    );
  });

  it("reads a typed threshold: empty for the default, a number, or what is wrong", () => {
    expect(parseThreshold(" ")).toEqual({ threshold: null });
    expect(parseThreshold("0.01")).toEqual({ threshold: 0.01 });
    expect(parseThreshold("0,2")).toEqual({ threshold: 0.2 });
    expect(parseThreshold("abc")).toEqual({ problem: "Write a number, such as 0.05, or leave it empty for the default." });
  });
});
