import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AZURITE_ACCOUNT,
  StorageError,
  copyPrefix,
  copyValue,
  getJson,
  openRandomAccess,
  joinStorageUrl,
  openStore,
  parseStorageUrl,
  putJson,
  startAzurite,
  type Azurite,
  type BlobStore,
} from "../../lib/core/index.js";

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error("expected a StorageError");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe("parseStorageUrl", () => {
  it("reads file URLs and plain paths as folders", () => {
    expect(parseStorageUrl("file:///tmp/models/a")).toMatchObject({ kind: "file", path: "/tmp/models/a" });
    expect(parseStorageUrl("/tmp/x")).toMatchObject({ kind: "file", path: "/tmp/x", url: "file:///tmp/x" });
    expect(parseStorageUrl("rel/dir")).toMatchObject({ kind: "file", path: path.resolve("rel/dir") });
  });

  it("reads Azure host-style URLs", () => {
    expect(parseStorageUrl("https://myacct.blob.core.windows.net/models/runs/r1/")).toEqual({
      kind: "blob",
      accountUrl: "https://myacct.blob.core.windows.net",
      account: "myacct",
      container: "models",
      prefix: "runs/r1",
      emulator: false,
      url: "https://myacct.blob.core.windows.net/models/runs/r1",
    });
  });

  it("reads Azurite path-style URLs", () => {
    expect(parseStorageUrl("http://127.0.0.1:10000/devstoreaccount1/runs")).toMatchObject({
      kind: "blob",
      accountUrl: "http://127.0.0.1:10000/devstoreaccount1",
      account: "devstoreaccount1",
      container: "runs",
      prefix: "",
      emulator: true,
    });
  });

  it("refuses what it cannot use, saying what would work", () => {
    for (const [url, why] of [
      ["s3://bucket/x", /s3:\/\/ is not supported/],
      ["https://myacct.blob.core.windows.net/", /names no container/],
      ["https://myacct.blob.core.windows.net/Bad_Name/x", /not a valid container name/],
      ["https://myacct.blob.core.windows.net/cont/x?sv=2020&sig=abc", /query or fragment/],
      ["", /empty/],
    ] as const) {
      let error: unknown;
      try {
        parseStorageUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe("BAD_STORAGE_URL");
      expect((error as StorageError).message).toMatch(why);
      expect((error as StorageError).message).toMatch(/devstoreaccount1/);
    }
  });

  it("joins segments onto either kind", () => {
    expect(joinStorageUrl("file:///tmp/a", "runs", "r1/x")).toBe("file:///tmp/a/runs/r1/x");
    expect(joinStorageUrl("http://127.0.0.1:1/devstoreaccount1/cont/p", "runs/r1")).toBe("http://127.0.0.1:1/devstoreaccount1/cont/p/runs/r1");
  });
});

/** The same behaviour from either store. */
async function exerciseStore(store: BlobStore): Promise<void> {
  expect(await store.get("missing/key")).toBeUndefined();
  expect(await store.list()).toEqual([]);
  await store.put("runs/r1/epoch-0/rank-1", new Uint8Array([1, 2, 3]));
  await store.put("runs/r1/epoch-0/rank-0", "text");
  await store.put("runs/r10/x", "other run");
  await putJson(store, "runs/r1/result.json", { accuracy: 0.9 });
  expect(Array.from((await store.get("runs/r1/epoch-0/rank-1"))!)).toEqual([1, 2, 3]);
  expect(Buffer.from((await store.get("runs/r1/epoch-0/rank-0"))!).toString()).toBe("text");
  expect(await getJson(store, "runs/r1/result.json")).toEqual({ accuracy: 0.9 });
  expect(await store.list("runs/r1/epoch-0/")).toEqual(["runs/r1/epoch-0/rank-0", "runs/r1/epoch-0/rank-1"]);
  expect(await store.list("runs/r1/")).toHaveLength(3); // not runs/r10
  expect(await store.list("runs/r1")).toHaveLength(4); // a key prefix, like Blob listing
  const scoped = store.scope("runs/r1");
  expect(await scoped.list()).toEqual(["epoch-0/rank-0", "epoch-0/rank-1", "result.json"]);
  expect(scoped.url).toMatch(/runs\/r1$/);
  await store.put("runs/r1/epoch-0/rank-1", new Uint8Array([9])); // overwrite
  expect(Array.from((await scoped.get("epoch-0/rank-1"))!)).toEqual([9]);
  expect(await copyPrefix(store, "runs/r1/epoch-0", store, "copy")).toEqual(["copy/rank-0", "copy/rank-1"]);
  expect(await store.delete("runs/r1/epoch-0/rank-1")).toBe(true);
  expect(await store.delete("runs/r1/epoch-0/rank-1")).toBe(false);
  expect(await store.get("runs/r1/epoch-0/rank-1")).toBeUndefined();
  const bad = await rejection(store.put("../escape", "x"));
  expect(bad.code).toBe("BAD_KEY");
  await exerciseStreams(store);
}

const text = async (stream: Readable | undefined) => {
  expect(stream).toBeDefined();
  const chunks: Buffer[] = [];
  for await (const chunk of stream!) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};

/** Streaming and ranged reads, streamed writes: the same from either store. */
async function exerciseStreams(store: BlobStore): Promise<void> {
  await store.put("s/abc", "abcdefghij");
  expect(await text(await store.openRead("s/abc"))).toBe("abcdefghij");
  expect(await text(await store.openRead("s/abc", { start: 2, end: 5 }))).toBe("cde");
  expect(await text(await store.openRead("s/abc", { start: 7 }))).toBe("hij");
  expect(await text(await store.openRead("s/abc", { start: 4, end: 4 }))).toBe("");
  expect(Buffer.from((await store.readRange("s/abc", 8, 100))!).toString()).toBe("ij");
  expect(Buffer.from((await store.readRange("s/abc", 3, 3))!).toString()).toBe("");
  expect(await store.size("s/abc")).toBe(10);
  for (const absent of [store.openRead("s/none"), store.openRead("s/none", { start: 1, end: 1 }), store.readRange("s/none", 0, 4), store.size("s/none"), store.size("s")]) {
    expect(await absent).toBeUndefined();
  }
  const random = (await openRandomAccess(store, "s/abc"))!;
  expect(random.byteLength).toBe(10);
  expect(Buffer.from(await random.slice(1, 3)).toString()).toBe("bc");
  expect(Buffer.from(await random.slice(6)).toString()).toBe("ghij");
  expect(await openRandomAccess(store, "s/none")).toBeUndefined();
  await store.putStream("s/streamed", Readable.from([Buffer.from("one "), Buffer.from("two")]));
  expect(Buffer.from((await store.get("s/streamed"))!).toString()).toBe("one two");
  expect(await copyValue(store, "s/streamed", store, "s/copied")).toBe(true);
  expect(await copyValue(store, "s/none", store, "s/copied-2")).toBe(false);
  expect(Buffer.from((await store.get("s/copied"))!).toString()).toBe("one two");
  // A failing source leaves the old value (or nothing), never half a value.
  const failing = new Readable({
    read() {
      this.push(Buffer.from("half"));
      this.destroy(new Error("source broke"));
    },
  });
  await expect(store.putStream("s/streamed", failing)).rejects.toThrow(/source broke/);
  expect(Buffer.from((await store.get("s/streamed"))!).toString()).toBe("one two");
  expect((await store.list("s/")).sort()).toEqual(["s/abc", "s/copied", "s/streamed"]);
}

describe("file store", () => {
  it("puts, gets, lists, scopes and deletes under a folder", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "store-"));
    try {
      const store = await openStore(pathToFileURL(dir).href);
      expect(store.kind).toBe("file");
      await exerciseStore(store);
      // Atomic writes leave no temporary files behind.
      expect(readdirSync(path.join(dir, "runs", "r1", "epoch-0"))).toEqual(["rank-0"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Azure Blob store on Azurite", () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("starts on a free loopback port with the development account", () => {
    expect(azurite.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${AZURITE_ACCOUNT}$`));
    expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.url};`);
    expect(alive(azurite.pid)).toBe(true);
  });

  it("behaves as the file store, creating the container on first write", async () => {
    const store = await openStore(azurite.containerUrl("store-test", "base"), { connectionString: azurite.connectionString });
    expect(store.kind).toBe("blob");
    await exerciseStore(store);
  });

  it("creates a missing container once when many writers (and scopes) meet it at the same time", async () => {
    const store = await openStore(azurite.containerUrl("race-test", "in"), { connectionString: azurite.connectionString });
    const scoped = store.scope("day-1");
    const keys = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, "0")}.txt`);
    await Promise.all(keys.map((k, i) => (i % 2 ? scoped : store).put(k, k)));
    expect((await store.list("")).length).toBe(24);
    expect(new TextDecoder().decode(await scoped.get("01.txt"))).toBe("01.txt");
  });

  it("streams a 24 MiB blob in pieces, reads ranges of it and writes one from a stream", async () => {
    const store = await openStore(azurite.containerUrl("stream-test", "big"), { connectionString: azurite.connectionString });
    const size = 24 * 1024 * 1024;
    const piece = (i: number) => Buffer.alloc(1024 * 1024, i % 251);
    // Written from a stream of 1 MiB pieces (in 4 MiB blocks), read back as a stream.
    await store.putStream("value.bin", Readable.from((function* () {
      for (let i = 0; i < 24; i++) yield piece(i);
    })()));
    expect(await store.size("value.bin")).toBe(size);
    const stream = (await store.openRead("value.bin"))!;
    let chunks = 0;
    let read = 0;
    let largest = 0;
    for await (const chunk of stream) {
      const c = chunk as Buffer;
      expect(c[0]).toBe(Math.floor(read / (1024 * 1024)) % 251);
      chunks++;
      read += c.length;
      largest = Math.max(largest, c.length);
    }
    expect(read).toBe(size);
    // It arrived in many pieces, none near the whole value: nothing held it all at once.
    expect(chunks).toBeGreaterThan(20);
    expect(largest).toBeLessThan(4 * 1024 * 1024);
    const middle = (await store.readRange("value.bin", 5 * 1024 * 1024 - 2, 5 * 1024 * 1024 + 2))!;
    expect(Array.from(middle)).toEqual([4, 4, 5, 5]);
  });

  it("uses the well-known key for devstoreaccount1 without a connection string", async () => {
    const store = await openStore(azurite.containerUrl("nokey"), { env: {} });
    await store.put("a", "b");
    expect(await store.list()).toEqual(["a"]);
  });

  it("names the credential it tried when the key is wrong", async () => {
    const wrong = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from("not the key").toString("base64")}`);
    const store = await openStore(azurite.containerUrl("authtest"), { connectionString: wrong });
    const error = await rejection(store.put("x", "y"));
    expect(error.code).toBe("STORAGE_AUTH");
    expect(error.message).toMatch(/account key of devstoreaccount1 from the connectionString option/);
    expect(error.message).toContain(azurite.containerUrl("authtest"));
  });

  it("refuses a connection string for another account", async () => {
    const error = await rejection(openStore("http://127.0.0.1:1/otheracct/cont", { connectionString: azurite.connectionString }));
    expect(error.code).toBe("STORAGE_AUTH");
    expect(error.message).toMatch(/for account "devstoreaccount1" but .* "otheracct"/);
  });

  it("says Azurite is not running when nothing answers", async () => {
    const other = await startAzurite({ inMemory: true });
    const url = other.containerUrl("gone");
    await other.stop();
    expect(alive(other.pid)).toBe(false);
    const store = await openStore(url, { retry: { maxTries: 1 } });
    const error = await rejection(store.get("x"));
    expect(error.code).toBe("STORAGE_UNREACHABLE");
    expect(error.message).toMatch(/startAzurite/);
  });
});

describe("Azure Blob store with a Microsoft Entra credential", () => {
  it("names the credential when it cannot get a token (no request is sent without one)", async () => {
    const credential = {
      async getToken(): Promise<null> {
        const error = new Error("EnvironmentCredential is unavailable. No underlying credential could be used.");
        error.name = "CredentialUnavailableError";
        throw error;
      },
    };
    const store = await openStore("https://nosuchacct1234.blob.core.windows.net/models/m1", { credential, retry: { maxTries: 1 } });
    const error = await rejection(store.get("model.json"));
    expect(error.code).toBe("STORAGE_AUTH");
    expect(error.message).toMatch(/refused to read https:\/\/nosuchacct1234\.blob\.core\.windows\.net\/models\/m1\/model\.json with the token credential given/);
    expect(error.message).toMatch(/az login.*Storage Blob Data Contributor/);
  });
});

describe("startAzurite", () => {
  it("leaves no emulator behind when its parent is killed", async () => {
    const child = spawn(process.execPath, ["bin/run-ts.mjs", "test/core/fixtures/start-azurite.ts"], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.once("exit", (code) => reject(new Error(`fixture exited with ${code}`)));
    });
    const { pid, location } = JSON.parse(line) as { pid: number; location: string };
    expect(alive(pid)).toBe(true);
    child.kill("SIGKILL");
    expect(await waitFor(() => !alive(pid), 10_000)).toBe(true);
    rmSync(location, { recursive: true, force: true }); // a SIGKILLed parent cannot clean up its temp folder
  });

  it("refuses a port in use and deletes its temporary folder on stop", async () => {
    const azurite = await startAzurite();
    expect(existsSync(azurite.location)).toBe(true);
    const busy = await rejection(startAzurite({ port: azurite.port, inMemory: true }));
    expect(busy.code).toBe("AZURITE_START");
    expect(busy.message).toMatch(new RegExp(`Port ${azurite.port} on 127\\.0\\.0\\.1 is already in use`));
    await azurite.stop();
    await azurite.stop(); // idempotent
    expect(existsSync(azurite.location)).toBe(false);
  });
});
