import { describe, expect, it } from "vitest";
import { averagingWords, estimatedFigure, realizedFigures } from "./performance";
import { classifierMetrics, estimate, windowPerformance } from "./performanceFixtures";

describe("performance figures", () => {
  it("gives a macro-averaged figure the engine's reason and says how precision, recall and F1 were averaged", () => {
    const macro = classifierMetrics({
      averaging: { kind: "macro", classes: 3 },
      precision: null,
      roc_auc: null,
      undefined: [
        "Macro precision is undefined: class 2 is never predicted",
        "ROC AUC is undefined: 3 classes were seen, and it needs a probability per class where one per prediction is kept",
      ],
    });
    const figures = realizedFigures(windowPerformance({ classifier: macro }));
    expect(figures.find((f) => f.metric === "precision")).toMatchObject({ text: "—", reason: "Macro precision is undefined: class 2 is never predicted" });
    expect(figures.find((f) => f.metric === "roc_auc")?.reason).toContain("3 classes were seen");
    expect(figures.find((f) => f.metric === "recall")).toMatchObject({ text: "0.73", reason: null, basis: "on 412 labelled predictions" });
    expect(averagingWords(macro, "1")).toBe("Precision, recall and F1 are macro-averaged over the 3 classes seen.");
  });

  it("writes a one-sided threshold in an estimate's alert", () => {
    const low = estimatedFigure(estimate({ metric: "f1", value: 0.412, lower: 0.38, upper: 0.444, alert: true, thresholds: { lower: 0.5, upper: null } }));
    expect(low).toMatchObject({ label: "Estimated F1", text: "0.41 (0.38–0.44)" });
    expect(low.alert).toBe("Outside the range learned from the reference (at least 0.50): the model's F1 has likely moved");
  });
});
