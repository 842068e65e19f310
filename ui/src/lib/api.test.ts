import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { api, ApiError, toApiError } from "./api";
import type { NewServer } from "./bindings";

afterEach(() => clearMocks());

const SETTINGS: NewServer = {
  name: "fraud-prod",
  base_url: "http://127.0.0.1:8080",
  kind: "triton",
  metrics_url: null,
  management_url: null,
  poll_interval_secs: 30,
  timeout_secs: null,
  labels: { team: "risk" },
  source_kind: null,
  selector: null,
  token_ref: null,
  tls_ca: null,
  tls_client: null,
};

/** Answers every call with `answer` and records the calls made. */
function recordCalls(answer: unknown): { command: string; args: unknown }[] {
  const calls: { command: string; args: unknown }[] = [];
  mockIPC((command, args) => {
    calls.push({ command, args });
    return answer;
  });
  return calls;
}

describe("api", () => {
  it("sends a new server as the engine expects it", async () => {
    const calls = recordCalls({ id: 1 });
    await api.addServer(SETTINGS);
    expect(calls).toEqual([{ command: "server_add", args: { server: SETTINGS } }]);
  });

  it("sends an edit with the name of the server it changes", async () => {
    const calls = recordCalls({ id: 1 });
    await api.updateServer("fraud-old", SETTINGS);
    expect(calls).toEqual([{ command: "server_update", args: { name: "fraud-old", edit: SETTINGS } }]);
  });

  it("turns an engine error into an ApiError naming the field", async () => {
    mockIPC(() => {
      throw { code: "invalid_input", message: "Name must not be empty.", field: "name", detail: null };
    });
    const error = await api.addServer({ ...SETTINGS, name: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "invalid_input", field: "name", message: "Name must not be empty." });
  });

  it("explains a failure of the bridge itself and keeps the raw text as detail", () => {
    const error = toApiError("Command server_add not allowed by ACL");
    expect(error.code).toBe("internal");
    expect(error.message).toContain("could not reach Vigil's engine");
    expect(error.detail).toBe("Command server_add not allowed by ACL");
  });
});
