import { afterEach, describe, expect, it, vi } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { alertRule, alertView, alertViews, delivery, historyEntry, receiver, silence } from "../lib/alertsFixtures";
import { AlertsData } from "../lib/alertsStore.svelte";
import { NOW } from "../lib/fixtures";
import { settle, type } from "../lib/testDom";
import AlertsView from "./AlertsView.svelte";

afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

const choose = (select: HTMLSelectElement, value: string) => {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
};

type Answer = (args: Record<string, unknown>) => unknown;

/** Mounts the view on the engine's answers; `more` answers the commands that change something. */
async function open(more: Record<string, Answer> = {}) {
  const commands: { command: string; args: Record<string, unknown> }[] = [];
  const reads: Record<string, unknown> = {
    alerts_list: alertViews(),
    alert_history: [
      historyEntry({ id: 9, change: "fired", rule: "dataset drift", silenced: true, evidence: { sentence: "fraud on fraud-prod: dataset drift (dataset drift)", value: "yes" } }),
      historyEntry(),
    ],
    alert_silences: [silence(), silence({ id: 4, starts_at: new Date(NOW + 7_200_000).toISOString(), ends_at: new Date(NOW + 10_800_000).toISOString(), reason: "maintenance" })],
    alert_rules: [alertRule()],
    alert_receivers: [receiver()],
    alert_deliveries: [delivery({ error: "HTTP 500 from hooks.example" }), delivery({ at: new Date(NOW - 3_600_000).toISOString() })],
  };
  mockIPC((command, args) => {
    commands.push({ command, args: args as Record<string, unknown> });
    if (command in more) return more[command](args as Record<string, unknown>);
    return reads[command] ?? null;
  });
  vi.spyOn(Date, "now").mockReturnValue(NOW);
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(AlertsView, { target, props: { alerts: new AlertsData(), now: NOW } });
  await settle();
  const find = <T extends HTMLElement = HTMLElement>(css: string) => target.querySelector<T>(css);
  const all = (css: string) => [...target.querySelectorAll<HTMLElement>(css)];
  const text = (css: string) => find(css)?.textContent?.replace(/\s+/g, " ").trim() ?? null;
  return { view, find, all, text, commands };
}

describe("AlertsView", () => {
  it("draws a fleet's hundreds of firing alerts and its long history a page at a time", async () => {
    const firing = Array.from({ length: 120 }, (_, i) => alertView({ subject: `model-${i} on server-${i}` }));
    const history = Array.from({ length: 250 }, (_, i) => historyEntry({ id: i + 1 }));
    const { view, find, all, text } = await open({ alerts_list: () => firing, alert_history: () => history });
    expect(all('[data-testid="alert-row"]')).toHaveLength(50);
    expect(text('[data-testid="alerts-firing-more"]')).toBe("Show 50 more of 70 not drawn yet");
    expect(all('[data-testid="history-row"]')).toHaveLength(100);
    find('[data-testid="alerts-firing-more"]')!.click();
    find('[data-testid="alerts-history-more"]')!.click();
    await settle();
    expect(all('[data-testid="alert-row"]')).toHaveLength(100);
    expect(all('[data-testid="history-row"]')).toHaveLength(200);
    expect(text('[data-testid="alerts-history-more"]')).toBe("Show 50 more of 50 not drawn yet");

    // Found by the words of its subject, in any order; the history holds none of them.
    type(find<HTMLInputElement>('[data-testid="alerts-find"]')!, "SERVER-42 model");
    await settle();
    expect(all('[data-testid="alert-row"]').map((row) => row.dataset.subject)).toEqual(["model-42 on server-42"]);
    expect(text('[data-testid="alerts-history-none-found"]')).toBe("No change in the history holds “SERVER-42 model”.");
    type(find<HTMLInputElement>('[data-testid="alerts-find"]')!, "nowhere");
    await settle();
    expect(text('[data-testid="alerts-none-found"]')).toBe("No firing alert holds “nowhere”.");
    expect(text('[data-testid="alerts-counts"]'), "the counts stay the fleet's").toBe("120 firing");
    unmount(view);
  });

  it("shows what is firing first, most severe first, with its evidence and runbook; then the other states, the history, silences, rules and receivers", async () => {
    const { view, find, all, text } = await open();
    const firing = all('[data-testid="alerts-firing"] [data-testid="alert-row"]');
    expect(firing.map((row) => [row.dataset.rule, row.dataset.subject])).toEqual([
      ["server down", "churn-prod"],
      ["dataset drift", "fraud on fraud-prod"],
    ]);
    expect(firing[0].querySelector('[data-testid="alert-severity"]')!.textContent).toBe("Critical");
    expect(firing[1].textContent).toContain("fraud on fraud-prod: dataset drift (dataset drift)");
    expect(firing[1].textContent).toContain("for 7 min");
    expect(firing[1].querySelector<HTMLAnchorElement>('[data-testid="alert-runbook"]')!.href).toBe("https://wiki.example/runbooks/drift");
    expect(firing[0].querySelector('[data-testid="alert-runbook"]'), "no runbook, no link").toBeNull();

    const others = all('[data-testid="alert-other-row"]');
    expect(others.map((row) => row.dataset.state)).toEqual(["pending", "resolved"]);
    expect(others[0].textContent).toMatch(/Pending.*error share is 7\.2 %.*7\.2 % vs 5\.0 %/);
    expect(text('[data-testid="alerts-counts"]')).toBe("2 firing · 1 pending");

    const sections = all("section[aria-label]").map((s) => s.getAttribute("aria-label"));
    expect(sections).toEqual(["Firing", "History", "Silences", "Rules", "Receivers"]);

    const history = all('[data-testid="alerts-history"] [data-testid="history-row"]');
    expect(history.map((row) => row.dataset.rule)).toEqual(["dataset drift", "error share over objective"]);
    expect(history[0].querySelector('[data-testid="history-silenced"]')?.textContent).toBe("silenced");
    expect(history[1].querySelector('[data-testid="history-silenced"]')).toBeNull();
    expect(history[1].textContent).toMatch(/Fired.*error share is 7\.2 %, past 5\.0 %.*7\.2 % vs 5\.0 %/);

    const silences = all('[data-testid="silence-row"]').map((row) => row.textContent!.replace(/\s+/g, " "));
    expect(silences[0]).toMatch(/rule dataset drift, model fraud, server fraud-prod.*On, 50 min left.*retraining on November's data.*ana/);
    expect(silences[1]).toMatch(/Starts in 2 h, for 1 h.*maintenance/);

    expect(text('[data-testid="rule-summary"]')).toBe("error share above the model's objective for 5 min, anywhere in the fleet");
    expect(text('[data-testid="receiver-row"]')).toMatch(/risk on-call · Slack-compatible webhook.*token from env:RISK_HOOK_TOKEN.*team=risk.*30 s · 300 s · 14400 s/);
    expect(all('[data-testid="delivery-outcome"]').map((td) => td.textContent)).toEqual(["Failed: HTTP 500 from hooks.example", "Sent"]);
    expect(find('[data-testid="alerts-none-firing"]')).toBeNull();
    unmount(view);
  });

  it("silences a firing alert from its row: its rule on its model and server, for the chosen time, with the reason; then reads again", async () => {
    const quieted = alertViews().map((a) => (a.rule === "dataset drift" ? { ...a, silenced: "until 2026-11-28 16:00 UTC: retraining on November's data" } : a));
    let reads = 0;
    const { view, find, commands } = await open({ alert_silence: () => silence(), alerts_list: () => (reads++ ? quieted : alertViews()) });
    const row = find('[data-testid="alert-row"][data-rule="dataset drift"]')!;
    expect(row.querySelector('[data-testid="alert-silenced"]')).toBeNull();
    row.querySelector<HTMLButtonElement>('[data-testid="alert-silence"]')!.click();
    await settle();
    const form = row.querySelector('[data-testid="silence-form"]')!;
    expect(form.querySelector('[data-testid="silence-matcher"]')!.textContent).toBe("rule dataset drift, model fraud, server fraud-prod");
    expect(form.querySelector<HTMLInputElement>('[data-testid="silence-reason"]')!.required).toBe(true);
    choose(form.querySelector<HTMLSelectElement>('[data-testid="silence-duration-select"]')!, "14400");
    type(form.querySelector<HTMLInputElement>('[data-testid="silence-reason"]')!, "retraining on November's data");
    await settle();
    form.querySelector<HTMLButtonElement>('[data-testid="silence-submit"]')!.click();
    await settle();

    expect(commands.find((c) => c.command === "alert_silence")!.args).toEqual({
      silence: {
        matcher: { rule: "dataset drift", model: "fraud", server: "fraud-prod", labels: {} },
        starts_at: null,
        ends_at: new Date(NOW + 4 * 3_600_000).toISOString(),
        reason: "retraining on November's data",
      },
    });
    expect(find('[data-testid="silence-form"]'), "the form closes").toBeNull();
    expect(commands.filter((c) => c.command === "alerts_list"), "the view reads again").toHaveLength(2);
    expect(find('[data-testid="alert-row"][data-rule="dataset drift"] [data-testid="alert-silenced"]')!.textContent).toBe(
      "Silenced until 2026-11-28 16:00 UTC: retraining on November's data",
    );
    unmount(view);
  });

  it("shows the engine's objection under the field it names, and keeps the form", async () => {
    const refusal = { code: "invalid_input", message: "say why, so the team knows why the alert was quiet", field: "reason", detail: null };
    const { view, find } = await open({
      alert_silence: () => {
        throw refusal;
      },
    });
    find<HTMLButtonElement>('[data-testid="alert-row"][data-rule="server down"] [data-testid="alert-silence"]')!.click();
    await settle();
    type(find<HTMLInputElement>('[data-testid="silence-reason"]')!, "   ");
    await settle();
    find<HTMLButtonElement>('[data-testid="silence-submit"]')!.click();
    await settle();
    expect(find('[data-testid="silence-reason-error"]')!.textContent).toBe(refusal.message);
    expect(find('[data-testid="silence-duration-error"]')).toBeNull();
    expect(find('[data-testid="silence-form"]')).not.toBeNull();
    unmount(view);
  });

  it("plans a maintenance window on a label, starting later; a window naming nothing gets the engine's objection under its labels", async () => {
    const refusal = { code: "invalid_input", message: "say what to silence: a rule, a model, a server or a label", field: "matcher", detail: null };
    let answers = 0;
    const { view, find, commands } = await open({
      alert_silence: () => {
        if (answers++ === 0) throw refusal;
        return silence();
      },
    });
    find<HTMLButtonElement>('[data-testid="silence-plan"]')!.click();
    await settle();
    type(find<HTMLInputElement>('[data-testid="silence-reason"]')!, "payments database upgrade");
    choose(find<HTMLSelectElement>('[data-testid="silence-duration-select"]')!, "7200");
    await settle();
    find<HTMLButtonElement>('[data-testid="silence-submit"]')!.click();
    await settle();
    expect(find('[data-testid="silence-labels-error"]')!.textContent).toBe(refusal.message);

    type(find<HTMLInputElement>('[data-testid="silence-labels-input"]')!, "team=payments");
    type(find<HTMLInputElement>('[data-testid="silence-starts"]')!, "2026-11-29T02:00");
    await settle();
    find<HTMLButtonElement>('[data-testid="silence-submit"]')!.click();
    await settle();
    const starts = new Date("2026-11-29T02:00");
    expect(commands.filter((c) => c.command === "alert_silence").at(-1)!.args).toEqual({
      silence: {
        matcher: { rule: null, model: null, server: null, labels: { team: "payments" } },
        starts_at: starts.toISOString(),
        ends_at: new Date(starts.getTime() + 7_200_000).toISOString(),
        reason: "payments database upgrade",
      },
    });
    expect(find('[data-testid="silence-form"]'), "the form closes").toBeNull();
    unmount(view);
  });

  it("removes a rule and a receiver only once confirmed, then reads again", async () => {
    const { view, find, commands } = await open({ alert_rule_remove: () => null, alert_receiver_remove: () => null });
    find<HTMLButtonElement>('[data-testid="rule-remove"]')!.click();
    await settle();
    expect(commands.some((c) => c.command === "alert_rule_remove"), "asks first").toBe(false);
    find<HTMLButtonElement>('[data-testid="rule-remove-yes"]')!.click();
    find<HTMLButtonElement>('[data-testid="receiver-remove"]')!.click();
    await settle();
    find<HTMLButtonElement>('[data-testid="receiver-remove-yes"]')!.click();
    await settle();
    const changes = commands.filter((c) => c.command.endsWith("_remove"));
    expect(changes).toEqual([
      { command: "alert_rule_remove", args: { name: "error share over objective" } },
      { command: "alert_receiver_remove", args: { name: "risk on-call" } },
    ]);
    expect(commands.filter((c) => c.command === "alert_rules")).toHaveLength(3);
    unmount(view);
  });

  it("ends a silence", async () => {
    const { view, all, commands } = await open({ alert_silence_end: () => silence() });
    all('[data-testid="silence-end"]')[0].click();
    await settle();
    expect(commands.find((c) => c.command === "alert_silence_end")!.args).toEqual({ id: 3 });
    unmount(view);
  });

  it("adds a rule on one column's drift for one model, sending the draft as the engine takes it", async () => {
    const { view, find, commands } = await open({ alert_rule_save: () => alertRule() });
    find<HTMLButtonElement>('[data-testid="rule-add"]')!.click();
    await settle();
    type(find<HTMLInputElement>('[data-testid="rule-name-input"]')!, "amount drift");
    choose(find<HTMLSelectElement>('[data-testid="rule-signal-select"]')!, "column_drift");
    await settle();
    type(find<HTMLInputElement>('[data-testid="rule-column-input"]')!, "amount");
    choose(find<HTMLSelectElement>('[data-testid="rule-condition-select"]')!, "above");
    await settle();
    type(find<HTMLInputElement>('[data-testid="rule-number-input"]')!, "0.2");
    type(find<HTMLInputElement>('[data-testid="rule-for-input"]')!, "0");
    choose(find<HTMLSelectElement>('[data-testid="rule-severity-select"]')!, "critical");
    choose(find<HTMLSelectElement>('[data-testid="rule-scope-select"]')!, "model");
    await settle();
    type(find<HTMLInputElement>('[data-testid="rule-scope-value-input"]')!, "fraud");
    type(find<HTMLInputElement>('[data-testid="rule-runbook-input"]')!, "https://wiki.example/amount");
    await settle();
    find<HTMLButtonElement>('[data-testid="rule-save"]')!.click();
    await settle();
    expect(commands.find((c) => c.command === "alert_rule_save")!.args).toEqual({
      id: null,
      rule: {
        name: "amount drift",
        signal: { name: "column_drift", column: "amount" },
        condition: { op: "above", bound: 0.2 },
        for_secs: 0,
        keep_firing_secs: 300,
        severity: "critical",
        scope: { kind: "model", model: "fraud" },
        runbook: "https://wiki.example/amount",
        enabled: true,
      },
    });
    expect(find('[data-testid="rule-form"]'), "the form closes").toBeNull();
    unmount(view);
  });

  it("edits a built-in rule under its id; an unreadable number and the engine's objection show under their fields", async () => {
    const refusal = { code: "invalid_input", message: '"wiki page" is not a link: give a full URL such as https://…', field: "runbook", detail: null };
    const { view, find, commands } = await open({
      alert_rule_save: () => {
        throw refusal;
      },
    });
    find<HTMLButtonElement>('[data-testid="rule-edit"]')!.click();
    await settle();
    expect(find<HTMLInputElement>('[data-testid="rule-name-input"]')!.value).toBe("error share over objective");
    type(find<HTMLInputElement>('[data-testid="rule-for-input"]')!, "five minutes");
    await settle();
    find<HTMLButtonElement>('[data-testid="rule-save"]')!.click();
    await settle();
    expect(find('[data-testid="rule-for-error"]')!.textContent).toContain("For must be a number");
    expect(commands.some((c) => c.command === "alert_rule_save"), "nothing sent").toBe(false);

    type(find<HTMLInputElement>('[data-testid="rule-for-input"]')!, "600");
    type(find<HTMLInputElement>('[data-testid="rule-runbook-input"]')!, "wiki page");
    await settle();
    find<HTMLButtonElement>('[data-testid="rule-save"]')!.click();
    await settle();
    const sent = commands.find((c) => c.command === "alert_rule_save")!.args;
    expect(sent.id).toBe(2);
    expect(sent.rule).toMatchObject({ condition: { op: "above_objective" }, for_secs: 600, runbook: "wiki page" });
    expect(find('[data-testid="rule-runbook-error"]')!.textContent).toBe(refusal.message);
    expect(find('[data-testid="rule-for-error"]')).toBeNull();
    unmount(view);
  });

  it("adds a webhook receiver with its token by reference, routing labels and timings", async () => {
    const { view, find, commands } = await open({ alert_receiver_save: () => null });
    find<HTMLButtonElement>('[data-testid="receiver-add"]')!.click();
    await settle();
    type(find<HTMLInputElement>('[data-testid="receiver-name-input"]')!, "payments hook");
    type(find<HTMLInputElement>('[data-testid="receiver-url-input"]')!, "http://127.0.0.1:9099/alerts");
    type(find<HTMLInputElement>('[data-testid="receiver-auth-input"]')!, "keyring:payments-hook");
    type(find<HTMLInputElement>('[data-testid="receiver-labels-input"]')!, "team=payments, env=prod");
    type(find<HTMLInputElement>('[data-testid="receiver-repeat-input"]')!, "3600");
    await settle();
    find<HTMLButtonElement>('[data-testid="receiver-save"]')!.click();
    await settle();
    expect(commands.find((c) => c.command === "alert_receiver_save")!.args).toEqual({
      receiver: {
        name: "payments hook",
        kind: "webhook",
        url: "http://127.0.0.1:9099/alerts",
        auth_ref: "keyring:payments-hook",
        labels: { team: "payments", env: "prod" },
        group_wait_secs: 30,
        group_interval_secs: 300,
        repeat_interval_secs: 3600,
      },
    });
    expect(find('[data-testid="receiver-form"]')).toBeNull();
    unmount(view);
  });
});
