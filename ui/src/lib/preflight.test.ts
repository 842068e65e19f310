import { describe, expect, it } from "vitest";
import { parityBadge, parityCommand, parityLine, progressShare, progressWords, RISK_WORDS, shareWords } from "./preflight";
import { parityReport } from "./preflightFixtures";

describe("preflight words", () => {
  it("names each risk with the engine's words, so a tag reads as the engine's sentence does", () => {
    expect(RISK_WORDS).toEqual({
      missing_where_served: "missing where it serves",
      missing_where_built: "missing where it was built",
      python_minor_differs: "Python's minor version differs",
      major_differs: "major version differs",
      numeric_differs: "a numeric library differs",
      local_build_differs: "another build of the same release",
      version_differs: "version differs",
    });
  });

  it("gives a failed check a Failed badge and the rows it matched, never rounded up to 100 %", () => {
    const failed = parityReport();
    expect(parityBadge(failed)).toMatchObject({ word: "Failed", tone: "bad" });
    expect(parityBadge(failed).why, "the engine's sentence on hover").toBe(failed.sentence);
    expect(parityLine(failed)).toBe("matched 148 of 150 rows (98.6 %)");
    expect(parityLine(parityReport({ matched: 1496, checked: 1500, rows: 1500, matched_share: 1496 / 1500 }))).toBe(
      "matched 1,496 of 1,500 rows (99.7 %)",
    );
    const passed = parityReport({ matched: 150, matched_share: 1, passed: true, mismatches: [] });
    expect(parityBadge(passed)).toMatchObject({ word: "Passed", tone: "ok" });
    expect(parityLine(passed)).toBe("matched 150 of 150 rows (100 %)");
    expect(shareWords(0)).toBe("0 %");
    expect(shareWords(0.99899), "a share below 99.9 % never reads as 99.9 %").toBe("99.8 %");
  });

  it("says how far a cancelled check got, and that no check was run", () => {
    const cancelled = parityReport({ cancelled: true, checked: 64, matched: 64, matched_share: 1 });
    expect(parityBadge(cancelled).word).toBe("Cancelled");
    expect(parityLine(cancelled)).toBe("matched 64 of 64 rows (100 %); cancelled, 86 not checked");
    expect(parityLine(parityReport({ cancelled: true, checked: 0, matched: 0, matched_share: null }))).toBe("no row checked of 150");
    expect(parityBadge(null).word).toBe("Not checked");
    expect(parityLine(null)).toBe("No parity check yet");
  });

  it("writes a running check's progress", () => {
    const step = { model: "fraud", version: "13", checked: 64, matched: 63, rows: 150 };
    expect(progressWords(step)).toBe("Checked 64 of 150 rows · 63 matched");
    expect(progressShare(step)).toBeCloseTo(64 / 150);
    expect(progressShare({ ...step, rows: 0 }), "before the golden set's size is known").toBe(0);
  });

  it("names the same check from a terminal, quoting a path with spaces", () => {
    expect(parityCommand("fraud", "fraud-prod", "13", "/data/golden.csv")).toBe(
      "vigil parity run fraud --server fraud-prod --revision 13 --golden /data/golden.csv",
    );
    expect(parityCommand("fraud", "fraud-prod", "", "/My Data/it's.csv")).toBe(
      "vigil parity run fraud --server fraud-prod --golden '/My Data/it'\\''s.csv'",
    );
    expect(parityCommand("fraud", "fraud-prod", "13", " ")).toContain("--golden FILE");
  });
});
