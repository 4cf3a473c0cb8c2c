// Connection files: ipc socket paths must fit a Unix socket's 107 bytes, whatever TMPDIR is.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createConnection, endpoint } from "../../lib/notebook/connection.js";
import { tempDir } from "../support/temp.js";

const savedTmp = process.env.TMPDIR;
afterEach(() => {
  process.env.TMPDIR = savedTmp;
});

describe("createConnection", () => {
  it("keeps ipc socket paths under 108 bytes when TMPDIR is long (else zeromq fails: File name too long)", async () => {
    const long = path.join(tempDir("cai-conn-"), "x".repeat(90));
    mkdirSync(long, { recursive: true });
    process.env.TMPDIR = long;
    const { info, dir } = await createConnection("tslab", "ipc");
    try {
      for (const channel of ["shell", "iopub", "stdin", "control", "hb"] as const) {
        const socket = endpoint(info, channel, ":").slice("ipc://".length);
        expect(Buffer.byteLength(socket), socket).toBeLessThanOrEqual(107);
      }
      expect(dir.startsWith(long)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  });

  it("uses TMPDIR itself when its path is short enough", async () => {
    const short = tempDir("cai-conn-");
    process.env.TMPDIR = short;
    const { dir } = await createConnection("tslab", "ipc");
    expect(path.dirname(dir)).toBe(short);
    rmSync(dir, { recursive: true, force: true });
  });
});
