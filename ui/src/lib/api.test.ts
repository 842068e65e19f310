import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { api, ApiError, newServer, toApiError } from "./api";

afterEach(() => clearMocks());



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
    await api.addServer(newServer({ name: "fraud-prod", base_url: "http://127.0.0.1:8080", kind: "triton" }));
    expect(received).toEqual({
      server: {
        name: "fraud-prod",
        base_url: "http://127.0.0.1:8080",
        kind: "triton",
        metrics_url: null,
        management_url: null,
        poll_interval_secs: null,
        timeout_secs: null,
        labels: {},
        source_kind: null,
        selector: null,
        token_ref: null,
      },
    });
  });

  it("turns an engine error into an ApiError naming the field", async () => {
    mockIPC(() => {
      throw { code: "invalid_input", message: "Name must not be empty.", field: "name", detail: null };
    });
    const error = await api.addServer(newServer({ name: "", base_url: "http://x" })).catch((e: unknown) => e);
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
