import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { api, ApiError, toApiError } from "./api";

afterEach(() => clearMocks());

const DEFAULTS = { poll_interval_secs: null, timeout_secs: null, labels: {}, source_kind: null, selector: null };

describe("api", () => {
  it("sends the new server as the engine expects it", async () => {
    let received: unknown;
    mockIPC((command, args) => {
      if (command === "server_add") {
        received = args;
        return { id: 1 };
      }
      return null;
    });
    await api.addServer({ name: "fraud-prod", base_url: "http://127.0.0.1:8080", kind: "auto", metrics_url: null, ...DEFAULTS });
    expect(received).toEqual({ server: { name: "fraud-prod", base_url: "http://127.0.0.1:8080", kind: "auto", metrics_url: null, ...DEFAULTS } });
  });

  it("turns an engine error into an ApiError naming the field", async () => {
    mockIPC(() => {
      throw { code: "invalid_input", message: "Name must not be empty.", field: "name", detail: null };
    });
    const error = await api.addServer({ name: "", base_url: "http://x", kind: "auto", metrics_url: null, ...DEFAULTS }).catch((e: unknown) => e);
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
