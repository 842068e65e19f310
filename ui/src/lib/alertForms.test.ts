import { describe, expect, it } from "vitest";
import type { AlertRule, RuleDraft } from "./bindings";
import { alertRule, receiver } from "./alertsFixtures";
import { receiverDraftOf, receiverFormOf } from "./alertForms";
import { ruleDraftOf, ruleFormOf } from "./ruleForm";
import { ApiError } from "./api";

/** The draft part of a stored rule: what the engine takes back. */
function draftOf({ name, signal, condition, for_secs, keep_firing_secs, severity, scope, runbook, enabled }: AlertRule): RuleDraft {
  return { name, signal, condition, for_secs, keep_firing_secs, severity, scope, runbook, enabled };
}

/** What `read` threw, as the field and message the form shows. */
function refusal(read: () => unknown): { field: string | null; message: string } {
  try {
    read();
  } catch (thrown) {
    if (thrown instanceof ApiError) return { field: thrown.field, message: thrown.message };
  }
  throw new Error("it was read");
}

describe("the rule form", () => {
  it("gives back every stored rule unchanged, whatever its condition and scope", () => {
    const rules = [
      alertRule(),
      alertRule({ signal: { name: "request_rate" }, condition: { op: "anomaly", k: 4 }, scope: { kind: "labels", labels: { team: "risk", env: "prod" } } }),
      alertRule({ signal: { name: "cost_per_thousand" }, condition: { op: "rises", factor: 1.5 }, scope: { kind: "server", server: "fraud-prod" }, runbook: "https://wiki.example/cost" }),
      alertRule({ signal: { name: "column_drift", column: "amount" }, condition: { op: "below", bound: 0.01 }, scope: { kind: "model", model: "fraud" }, enabled: false }),
    ];
    for (const rule of rules) expect(ruleDraftOf(ruleFormOf(rule))).toEqual(draftOf(rule));
  });

  it("names the field a number or a label cannot be read in", () => {
    const form = ruleFormOf(alertRule({ condition: { op: "above", bound: 0.05 } }));
    expect(refusal(() => ruleDraftOf({ ...form, number: "5 %" })).field).toBe("condition");
    expect(refusal(() => ruleDraftOf({ ...form, keep_firing_secs: "" })).field).toBe("keep_firing_secs");
    expect(refusal(() => ruleDraftOf({ ...form, scope: "labels", scopeValue: "team" }))).toEqual({
      field: "scope",
      message: "'team' is not a label: write name=value, e.g. team=payments.",
    });
  });
});

describe("the receiver form", () => {
  it("gives back a stored receiver unchanged; a desktop receiver sends no URL or secret", () => {
    const { id: _, ...stored } = receiver();
    expect(receiverDraftOf(receiverFormOf(receiver()))).toEqual(stored);
    const desktop = receiverDraftOf({ ...receiverFormOf(receiver()), kind: "desktop" });
    expect([desktop.url, desktop.auth_ref]).toEqual([null, null]);
  });

  it("reads a label value holding '=' whole, and refuses a label given twice", () => {
    const form = receiverFormOf(null);
    expect(receiverDraftOf({ ...form, name: "q", labels: "query=a=b, team=risk" }).labels).toEqual({ query: "a=b", team: "risk" });
    expect(refusal(() => receiverDraftOf({ ...form, labels: "team=risk, team=payments" }))).toEqual({
      field: "labels",
      message: "Label 'team' is given twice: keep one.",
    });
  });
});
