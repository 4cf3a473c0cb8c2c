// The local Kafka broker's cluster id: the storage tool's parser takes an id that starts with "-"
// for an option (npm start failed so once on a fresh clone).
import { describe, expect, it } from "vitest";
import { kafkaClusterId } from "../../lib/spark/kafka.js";

describe("kafkaClusterId", () => {
  it("draws again when the id would start with '-', and gives 22 URL-safe base64 characters", () => {
    const draws = [Buffer.from("fb" + "00".repeat(15), "hex"), Buffer.from("01".repeat(16), "hex")]; // "-w…", then "AQ…"
    expect(draws[0].toString("base64url").startsWith("-")).toBe(true);
    let calls = 0;
    const id = kafkaClusterId(() => draws[calls++]);
    expect(calls).toBe(2);
    expect(id).toBe(draws[1].toString("base64url"));
    for (let i = 0; i < 2000; i++) expect(kafkaClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
