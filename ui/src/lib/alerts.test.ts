import { describe, expect, it } from "vitest";
import { alertSentence, runbookHref } from "./alerts";
import { alertView } from "./alertsFixtures";

describe("runbookHref", () => {
  it("links a web address only: a javascript: URL would run inside the window", () => {
    expect(runbookHref("https://wiki.example/runbooks/drift")).toBe("https://wiki.example/runbooks/drift");
    expect(runbookHref(" HTTP://wiki.example/a ")).toBe("HTTP://wiki.example/a");
    for (const runbook of ["javascript:window.__pwned=1", "JavaScript:alert(1)", "data:text/html,<script>1</script>", "file:///etc/passwd", null, ""]) {
      expect(runbookHref(runbook), String(runbook)).toBeNull();
    }
  });
});

describe("alertSentence", () => {
  it("isolates the model's and server's names in the engine's words, and changes nothing else", () => {
    const model = "fraud\u202Egnp.exe";
    const alert = alertView({ model, server: "a", sentence: `${model} on a: dataset drift` });
    expect(alertSentence(alert)).toBe(`\u2068${model}\u202C\u2069 on a: dataset drift`);
    const plain = alertView();
    expect(alertSentence(plain)).toBe(plain.sentence);
  });
});
