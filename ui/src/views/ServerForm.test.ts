import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { Server } from "../lib/bindings";
import { server as registered } from "../lib/fixtures";
import ServerForm from "./ServerForm.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const settle = async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
};

const DEFAULTS = { pollIntervalSecs: 10, timeoutSecs: 2 };

/** Mounts the form (for `server`, or a new one) with IPC answered by `answer`; records calls and what is saved. */
function open(answer: (command: string, args: unknown) => unknown, server: Server | null = null) {
  const calls: { command: string; args: unknown }[] = [];
  mockIPC((command, args) => {
    calls.push({ command, args });
    return answer(command, args);
  });
  const saved: Server[] = [];
  const target = document.body.appendChild(document.createElement("div"));
  const form = mount(ServerForm, {
    target,
    props: { server, defaults: DEFAULTS, onsaved: (s: Server) => saved.push(s), oncancel: () => {} },
  });
  flushSync();
  const find = <T extends HTMLElement>(testid: string) => target.querySelector<T>(`[data-testid="${testid}"]`);
  const all = <T extends HTMLElement>(testid: string) => [...target.querySelectorAll<T>(`[data-testid="${testid}"]`)];
  const fill = (input: HTMLInputElement | null, value: string) => {
    input!.value = value;
    input!.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const choose = (testid: string, value: string) => {
    const select = find<HTMLSelectElement>(testid)!;
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    flushSync();
  };
  const submit = async () => {
    find<HTMLButtonElement>("server-submit")!.click();
    await settle();
  };
  const more = () => target.querySelector("details")!;
  return { calls, saved, find, all, fill, choose, submit, more, close: () => unmount(form) };
}

const stored = (_command: string, args: unknown) => ({ ...registered(), ...(args as { server: object }).server });
const invalid = (field: string, message: string) => () => {
  throw { code: "invalid_input", message, field, detail: null };
};

describe("ServerForm, adding", () => {
  it("shows the engine's error under the field it names and keeps what was typed", async () => {
    const form = open(invalid("base_url", "Base URL must start with http:// or https://"));
    form.fill(form.find("server-name-input"), "fraud-prod");
    form.fill(form.find("server-url-input"), "ftp://x");
    await form.submit();
    expect(form.find("server-url-error")?.textContent).toContain("must start with http://");
    expect(form.find("server-name-error")).toBeNull();
    expect(form.find<HTMLInputElement>("server-name-input")!.value).toBe("fraud-prod");
    expect(form.more().open).toBe(false);
    form.close();
  });

  it("sends only name, URL and kind when nothing more is given, and hands back the stored server", async () => {
    const form = open(stored);
    expect(form.more().open, "the first-use form stays short").toBe(false);
    form.fill(form.find("server-name-input"), "churn");
    form.fill(form.find("server-url-input"), "http://127.0.0.1:9000");
    expect(form.find<HTMLSelectElement>("server-kind-select")!.value).toBe("auto");
    form.choose("server-kind-select", "torchserve");
    await form.submit();
    expect(form.calls).toEqual([
      {
        command: "server_add",
        args: {
          server: {
            name: "churn",
            base_url: "http://127.0.0.1:9000",
            kind: "torchserve",
            metrics_url: null,
            management_url: null,
            poll_interval_secs: null,
            timeout_secs: null,
            labels: {},
            source_kind: null,
            selector: null,
            token_ref: null,
            tls_ca: null,
            tls_client: null,
          },
        },
      },
    ]);
    expect(form.saved).toMatchObject([{ name: "churn", kind: "torchserve" }]);
    form.close();
  });

  it("sends every setting with the engine's types: seconds as numbers, labels as a map", async () => {
    const form = open(stored);
    form.fill(form.find("server-name-input"), "fleet");
    form.fill(form.find("server-url-input"), "http://127.0.0.1:9090");
    expect(form.find("server-source-kind-select"), "only for a Prometheus").toBeNull();
    form.choose("server-kind-select", "prometheus");
    form.choose("server-source-kind-select", "mlserver");
    form.fill(form.find("server-selector-input"), 'job="mlserver"');
    form.more().open = true;
    flushSync();
    expect(form.find<HTMLInputElement>("server-poll-interval-input")!.placeholder).toBe("10");
    expect(form.find<HTMLInputElement>("server-timeout-input")!.placeholder).toBe("2");
    form.fill(form.find("server-management-url-input"), "http://127.0.0.1:8081");
    form.fill(form.find("server-poll-interval-input"), " 30 ");
    form.fill(form.find("server-timeout-input"), "1.5");
    form.fill(form.find("server-token-ref-input"), "env:FLEET_TOKEN");
    form.fill(form.all<HTMLInputElement>("label-name-input")[0], "team");
    form.fill(form.all<HTMLInputElement>("label-value-input")[0], "risk");
    form.find<HTMLButtonElement>("label-add")!.click();
    form.find<HTMLButtonElement>("label-add")!.click();
    flushSync();
    form.fill(form.all<HTMLInputElement>("label-name-input")[2], "environment");
    form.fill(form.all<HTMLInputElement>("label-value-input")[2], "prod");
    await form.submit();
    expect(form.calls).toEqual([
      {
        command: "server_add",
        args: {
          server: {
            name: "fleet",
            base_url: "http://127.0.0.1:9090",
            kind: "prometheus",
            metrics_url: null,
            management_url: "http://127.0.0.1:8081",
            poll_interval_secs: 30,
            timeout_secs: 1.5,
            labels: { team: "risk", environment: "prod" },
            source_kind: "mlserver",
            selector: 'job="mlserver"',
            token_ref: "env:FLEET_TOKEN",
            tls_ca: null,
            tls_client: null,
          },
        },
      },
    ]);
    form.close();
  });

  it("opens More settings when the engine names a field inside it", async () => {
    const form = open(invalid("labels", "Label name 'Team' must be 1 to 32 characters of a-z, 0-9, '_' or '-'."));
    form.fill(form.find("server-name-input"), "fraud-prod");
    form.fill(form.find("server-url-input"), "http://127.0.0.1:8080");
    await form.submit();
    expect(form.more().open).toBe(true);
    expect(form.find("labels-error")?.textContent).toContain("Label name 'Team'");
    form.close();
  });

  it("says which number it cannot read, without asking the engine", async () => {
    const form = open(stored);
    form.fill(form.find("server-name-input"), "fraud-prod");
    form.fill(form.find("server-url-input"), "http://127.0.0.1:8080");
    form.more().open = true;
    flushSync();
    form.fill(form.find("server-poll-interval-input"), "10s");
    await form.submit();
    expect(form.find("server-poll-interval-error")?.textContent).toContain("Poll interval must be a number of seconds");
    expect(form.calls).toEqual([]);
    form.close();
  });
});

describe("ServerForm, editing", () => {
  const current = registered({
    name: "fraud-prod",
    kind: "mlserver",
    metrics_url: "http://127.0.0.1:8082/metrics",
    poll_interval_ms: 30_000,
    timeout_ms: 1_500,
    labels: { team: "risk" },
    token_ref: "env:FRAUD_TOKEN",
    tls_ca: null,
    tls_client: null,
  });

  it("starts from the server's current settings, every one in view", () => {
    const form = open(stored, current);
    expect(form.find("server-form")!.textContent).toContain("Edit fraud-prod");
    expect(form.more().open).toBe(true);
    const value = (testid: string) => form.find<HTMLInputElement>(testid)!.value;
    expect(value("server-name-input")).toBe("fraud-prod");
    expect(value("server-kind-select")).toBe("mlserver");
    expect(value("server-metrics-url-input")).toBe("http://127.0.0.1:8082/metrics");
    expect(value("server-management-url-input")).toBe("");
    expect(value("server-poll-interval-input")).toBe("30");
    expect(value("server-timeout-input")).toBe("1.5");
    expect(value("server-token-ref-input")).toBe("env:FRAUD_TOKEN");
    expect(form.all<HTMLInputElement>("label-name-input").map((i) => i.value)).toEqual(["team"]);
    expect(form.all<HTMLInputElement>("label-value-input").map((i) => i.value)).toEqual(["risk"]);
    expect(form.find("server-submit")!.textContent).toContain("Save changes");
    form.close();
  });

  it("sends server_update under the old name with the changed settings", async () => {
    const form = open((_command, args) => ({ ...current, ...(args as { edit: object }).edit }), current);
    form.fill(form.find("server-name-input"), "fraud-eu");
    form.fill(form.find("server-poll-interval-input"), "");
    form.find<HTMLButtonElement>("label-remove")!.click();
    flushSync();
    await form.submit();
    expect(form.calls).toEqual([
      {
        command: "server_update",
        args: {
          name: "fraud-prod",
          edit: {
            name: "fraud-eu",
            base_url: "http://127.0.0.1:8080",
            kind: "mlserver",
            metrics_url: "http://127.0.0.1:8082/metrics",
            management_url: null,
            poll_interval_secs: null,
            timeout_secs: 1.5,
            labels: {},
            source_kind: null,
            selector: null,
            token_ref: "env:FRAUD_TOKEN",
            tls_ca: null,
            tls_client: null,
          },
        },
      },
    ]);
    expect(form.saved).toMatchObject([{ name: "fraud-eu" }]);
    form.close();
  });
});
