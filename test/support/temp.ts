// Temp folders for a test file, removed after its last test (also when tests fail). The suite
// fails if anything is left in its temp folder (test/support/global-setup.ts).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the OS temp folder, removed when this test file ends. */
export function tempDir(prefix = "cai-test-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
