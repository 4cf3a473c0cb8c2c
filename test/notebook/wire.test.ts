import { describe, expect, it } from "vitest";
import { decode, encode, newHeader, Signer } from "../../lib/notebook/wire.js";

describe("Jupyter wire protocol", () => {
  const signer = new Signer("secret-key");
  const msg = { header: newHeader("execute_request", "s1"), parent_header: {}, metadata: {}, content: { code: "1 + 1" } };

  it("round-trips a signed message", () => {
    const frames = encode(signer, msg);
    expect(frames[0].toString()).toBe("<IDS|MSG>");
    expect(frames[1].toString()).toMatch(/^[0-9a-f]{64}$/);
    const back = decode(signer, [Buffer.from("routing-id"), ...frames]);
    expect(back?.header.msg_type).toBe("execute_request");
    expect(back?.content).toEqual({ code: "1 + 1" });
  });

  it("rejects a tampered or wrongly signed message", () => {
    const frames = encode(signer, msg);
    frames[5] = Buffer.from(JSON.stringify({ code: "rm -rf" }));
    expect(decode(signer, frames)).toBeUndefined();
    expect(decode(new Signer("other-key"), encode(signer, msg))).toBeUndefined();
  });

  it("signs with HMAC-SHA256 over header, parent, metadata and content", async () => {
    const { createHmac } = await import("node:crypto");
    const frames = encode(signer, msg);
    const h = createHmac("sha256", "secret-key");
    for (const f of frames.slice(2, 6)) h.update(f);
    expect(frames[1].toString()).toBe(h.digest("hex"));
  });
});
