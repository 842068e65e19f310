import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { server } from "./fixtures";
import { draftOf, parseDraft } from "./serverDraft";

describe("server drafts", () => {
  it("give a registered server's settings back unchanged, seconds and labels included", () => {
    const registered = server({
      kind: "prometheus",
      poll_interval_ms: 1500,
      timeout_ms: 300_000,
      labels: { team: "risk", environment: "prod" },
      source_kind: "triton",
      selector: 'job="triton"',
      token_ref: "env:T",
      tls_ca: "file:/etc/vigil/ca.pem",
      tls_client: "keyring:fraud-cert",
    });
    expect(parseDraft(draftOf(registered))).toEqual({
      name: "fraud-prod",
      base_url: "http://127.0.0.1:8080",
      kind: "prometheus",
      metrics_url: null,
      management_url: null,
      poll_interval_secs: 1.5,
      timeout_secs: 300,
      labels: { team: "risk", environment: "prod" },
      source_kind: "triton",
      selector: 'job="triton"',
      token_ref: "env:T",
      tls_ca: "file:/etc/vigil/ca.pem",
      tls_client: "keyring:fraud-cert",
    });
  });

  it("start a new server with one empty label row, which is not sent", () => {
    const draft = draftOf(null);
    expect(draft.labels).toEqual([{ name: "", value: "" }]);
    expect(parseDraft({ ...draft, name: "a", base_url: "http://x" }).labels).toEqual({});
  });

  it("send no Prometheus source for another kind", () => {
    const draft = { ...draftOf(null), kind: "triton" as const, source_kind: "mlserver" as const, selector: "job=x" };
    expect(parseDraft(draft)).toMatchObject({ source_kind: null, selector: null });
  });

  it("name the field whose number or label cannot be read", () => {
    const fieldOf = (change: Partial<ReturnType<typeof draftOf>>) => {
      try {
        parseDraft({ ...draftOf(null), ...change });
      } catch (thrown) {
        expect(thrown).toBeInstanceOf(ApiError);
        return (thrown as ApiError).field;
      }
      return null;
    };
    expect(fieldOf({ timeout: "two" })).toBe("timeout");
    expect(fieldOf({ poll_interval: "Infinity" })).toBe("poll_interval");
    const twice = [
      { name: "team", value: "a" },
      { name: " team", value: "b" },
    ];
    expect(fieldOf({ labels: twice })).toBe("labels");
    expect(fieldOf({ poll_interval: "-1" }), "ranges are the engine's to check").toBeNull();
  });
});
