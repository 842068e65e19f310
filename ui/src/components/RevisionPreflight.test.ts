import { afterEach, describe, expect, it } from "vitest";
import { mount } from "svelte";
import type { Channel } from "@tauri-apps/api/core";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { EnvironmentDiff, Fingerprint, ParityProgress, ParityReport, Profile } from "../lib/bindings";
import { NOW, rolloutView } from "../lib/fixtures";
import { environmentDiff, fingerprint, parityReport } from "../lib/preflightFixtures";
import { PreflightData } from "../lib/preflightStore.svelte";
import { settle, type } from "../lib/testDom";
import RevisionPreflight from "./RevisionPreflight.svelte";
import RolloutCard from "./RolloutCard.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const ANA: Profile = { name: "ana", role: "engineer" };

interface Engine {
  fingerprints?: Fingerprint[];
  reports?: ParityReport[];
  more?: (command: string, args: Record<string, unknown>) => unknown;
}

async function card(engine: Engine, props: Record<string, unknown> = {}) {
  const commands: { command: string; args: Record<string, unknown> }[] = [];
  mockIPC((command, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    commands.push({ command, args });
    const answer = engine.more?.(command, args);
    if (answer !== undefined) return answer;
    if (command === "environment_fingerprints") return engine.fingerprints ?? [];
    if (command === "parity_latest") return engine.reports ?? [];
    return null;
  });
  const data = new PreflightData("fraud");
  await data.load();
  const target = document.body.appendChild(document.createElement("div"));
  mount(RevisionPreflight, { target, props: { data, server: "fraud-prod", model: "fraud", version: "13", role: "canary", profile: ANA, now: NOW, ...props } });
  await settle();
  const find = <T extends HTMLElement = HTMLElement>(id: string) => target.querySelector<T>(`[data-testid="${id}"]`);
  const text = (id: string) => find(id)?.textContent?.replace(/\s+/g, " ").trim() ?? null;
  return { target, find, text, commands, data };
}

describe("RevisionPreflight", () => {
  it("says what is not known yet, and gathers the environment on request", async () => {
    const engine: Engine = {
      more: (command) => {
        if (command !== "environment_gather") return undefined;
        engine.fingerprints = [fingerprint()];
        return fingerprint();
      },
    };
    const { find, text, commands } = await card(engine);
    expect(text("preflight-summary-none")).toBe("Environment not gathered");
    expect(text("preflight-parity-none")).toBe("No parity check yet");

    find<HTMLButtonElement>("preflight-gather")!.click();
    await settle();
    expect(commands.find((c) => c.command === "environment_gather")!.args).toEqual({ server: "fraud-prod", model: "fraud", version: "13" });
    expect(text("preflight-summary")).toBe("mlserver 1.7.1 · sklearn · Python 3.11.7 · 4 packages");
    expect(find("preflight-gather"), "nothing left to gather").toBeNull();
  });

  it("shows the last check as a badge with the rows it matched", async () => {
    const { text, find } = await card({ fingerprints: [fingerprint({ problems: ["MLflow was not asked: no registry is set"] })], reports: [parityReport()] });
    expect(text("preflight-parity-badge")).toBe("Failed");
    expect(text("preflight-parity-line")).toBe("matched 148 of 150 rows (98.6 %)");
    expect(text("preflight-problems")).toBe("· 1 source could not be read");
    expect(find("preflight-problems")!.title).toBe("MLflow was not asked: no registry is set");
  });

  it("compares environments: the engine's sentence, risky packages first with their risks, untrusted names as text; an upload re-reads it", async () => {
    let diff: EnvironmentDiff = environmentDiff({
      built: null,
      packages: [],
      risky: 0,
      sentence: "Where fraud was built is not known: upload its pip freeze or lock file.",
    });
    const { find, text, target, commands } = await card({
      fingerprints: [fingerprint()],
      more: (command, args) => {
        if (command === "environment_diff") return diff;
        if (command !== "environment_import") return undefined;
        diff = environmentDiff({
          packages: [...environmentDiff().packages, { name: "<b>evil</b>", built: null, served: "1.0", risks: ["missing_where_built"] }],
        });
        return { ...environmentDiff().built!, file_name: args.fileName as string };
      },
    });
    find<HTMLButtonElement>("preflight-compare")!.click();
    await settle();
    expect(commands.find((c) => c.command === "environment_diff")!.args).toEqual({ server: "fraud-prod", model: "fraud", version: "13", refresh: false });
    expect(text("environment-sentence")).toBe("Where fraud was built is not known: upload its pip freeze or lock file.");
    expect(find("environment-built-none")).not.toBeNull();

    const input = find<HTMLInputElement>("environment-upload")!;
    // jsdom's File cannot be read; the window's can.
    const file = { name: "requirements.txt", text: async () => "numpy==2.1.0\nscikit-learn==1.5.2\n" };
    Object.defineProperty(input, "files", { value: [file] });
    input.dispatchEvent(new Event("change", { bubbles: true }));
    await settle();
    expect(commands.find((c) => c.command === "environment_import")!.args).toEqual({
      profile: ANA,
      model: "fraud",
      fileName: "requirements.txt",
      text: "numpy==2.1.0\nscikit-learn==1.5.2\n",
    });
    expect(commands.filter((c) => c.command === "environment_diff"), "the difference is read again").toHaveLength(2);
    expect(text("environment-sentence")).toContain("2 of 3 packages differ between requirements.txt");
    const rows = [...target.querySelectorAll('[data-testid="environment-package"]')].map((row) => [
      ...[...row.querySelectorAll("td")].slice(0, 3).map((td) => td.textContent!.trim()),
      [...row.querySelectorAll('[data-testid="environment-risk"]')].map((tag) => tag.textContent),
    ]);
    expect(rows).toEqual([
      ["scikit-learn", "1.5.2", "1.3.2", ["a numeric library differs", "version differs"]],
      ["numpy", "2.1.0", "1.26.4", ["major version differs", "a numeric library differs"]],
      ["pandas", "2.2.3", "2.2.3", []],
      ["<b>evil</b>", "absent", "1.0", ["missing where it was built"]],
    ]);
    expect(target.querySelector("b"), "a server's string is never markup").toBeNull();
    expect(text("environment-sources")).toContain("fraud-prod's server metadata");
  });

  it("checks parity: the golden file is sent, progress moves, Cancel stops it, and the report names the mismatching rows", async () => {
    let progress: Channel<ParityProgress> | null = null;
    let finish: (report: ParityReport) => void = () => {};
    const { find, text, target, commands } = await card({
      reports: [],
      more: (command, args) => {
        if (command !== "parity_start") return undefined;
        progress = args.progress as Channel<ParityProgress>;
        return new Promise<ParityReport>((resolve) => (finish = resolve));
      },
    });
    find<HTMLButtonElement>("preflight-parity")!.click();
    await settle();
    find<HTMLButtonElement>("parity-run")!.click();
    await settle();
    expect(text("parity-problem")).toBe("Type the golden file's full path, or choose it.");
    expect(commands.some((c) => c.command === "parity_start"), "nothing runs without a file").toBe(false);

    type(find<HTMLInputElement>("parity-golden")!, "/data/fraud-golden.csv");
    await settle();
    expect(text("parity-command")).toBe("vigil parity run fraud --server fraud-prod --revision 13 --golden /data/fraud-golden.csv");
    find<HTMLButtonElement>("parity-run")!.click();
    await settle();
    expect(commands.find((c) => c.command === "parity_start")!.args).toMatchObject({
      profile: ANA,
      request: { server: "fraud-prod", model: "fraud", version: "13", golden_file: "/data/fraud-golden.csv", outputs: [], rules: [], protocol: null, batch_rows: null, in_flight: null },
    });
    progress!.onmessage({ model: "fraud", version: "13", checked: 64, matched: 63, rows: 150 });
    await settle();
    expect(find<HTMLProgressElement>("parity-progress")!.querySelector("progress")!.value).toBeCloseTo(64 / 150);
    expect(text("parity-progress-words")).toBe("Checked 64 of 150 rows · 63 matched");

    find<HTMLButtonElement>("parity-cancel")!.click();
    await settle();
    expect(commands.some((c) => c.command === "parity_cancel")).toBe(true);
    finish(parityReport());
    await settle();
    expect(find("parity-progress")).toBeNull();
    expect(text("parity-report-sentence")).toContain("mismatching rows include 17, 92");
    const rows = [...target.querySelectorAll('[data-testid="parity-mismatch"]')].map((row) =>
      [...row.querySelectorAll("td")].map((td) => td.textContent!.trim()),
    );
    expect(rows).toEqual([
      ["17", "is_fraud", "1", "0", "a label differs"],
      ["92", "is_fraud", "0", "1", "a label differs"],
    ]);
    expect(find("parity-run"), "another check can run").not.toBeNull();
    expect(commands.filter((c) => c.command === "parity_latest"), "the card's last check is read again").toHaveLength(2);
  });
});

describe("RolloutCard's evidence", () => {
  it("shows the candidate's environment and last parity check, with the engine's sentence, beside Approve", async () => {
    mockIPC((command) => {
      if (command === "environment_fingerprints") return [fingerprint({ server: "fraud-prod" })];
      if (command === "parity_latest") return [parityReport()];
      return null;
    });
    const preflight = new PreflightData("fraud");
    await preflight.load();
    const target = document.body.appendChild(document.createElement("div"));
    mount(RolloutCard, { target, props: { view: rolloutView(), profile: ANA, onchange: () => {}, preflight, now: NOW } });
    await settle();
    const evidence = target.querySelector('[data-testid="rollout-preflight"]')!;
    expect(evidence.textContent).toContain("Evidence: v13's environment and last parity check");
    expect(evidence.querySelector('[data-testid="preflight-summary"]')!.textContent).toBe("mlserver 1.7.1 · sklearn · Python 3.11.7 · 4 packages");
    expect(evidence.querySelector('[data-testid="preflight-parity-badge"]')!.textContent).toBe("Failed");
    expect(evidence.querySelector('[data-testid="preflight-parity-sentence"]')!.textContent).toBe(parityReport().sentence);
    expect(evidence.querySelector("button"), "read-only: the approver acts with the card's own buttons").toBeNull();
    expect(target.querySelector('[data-testid="rollout-approve"]')).not.toBeNull();
  });
});
