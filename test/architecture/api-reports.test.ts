// Each lib folder's public surface (its index.ts) is recorded in test/api/<folder>.api.md by API
// Extractor (test/api/api-reports.ts). This regenerates them into a temp folder and fails when one
// differs from the checked-in copy, so a change to a surface is a visible diff in review.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateApiReports, REPORT_FOLDER } from "../api/api-reports.js";
import { tempDir } from "../support/temp.js";

const HINT = "run npm run api:update and commit test/api/*.api.md";

describe("API reports (API Extractor)", () => {
  it("test/api/*.api.md match lib/'s public surfaces", () => {
    const work = tempDir("cai-api-");
    const made = generateApiReports(path.join(work, "reports"), path.join(work, "scratch"));
    const madeNames = made.map((f) => path.basename(f));
    const checkedIn = readdirSync(REPORT_FOLDER).filter((f) => f.endsWith(".api.md"));
    const missing = madeNames.filter((f) => !checkedIn.includes(f)).map((f) => `no test/api/${f} (a new index.ts?)`);
    const stale = checkedIn.filter((f) => !madeNames.includes(f)).map((f) => `test/api/${f} has no index.ts any more`);
    expect.soft([...missing, ...stale], HINT).toEqual([]);
    for (const file of made) {
      const name = path.basename(file);
      const committed = path.join(REPORT_FOLDER, name);
      if (!existsSync(committed)) continue; // reported just above
      // Diff: "-" is the checked-in report, "+" what lib/ gives now.
      expect.soft(readFileSync(file, "utf8"), `test/api/${name} differs from lib/'s public surface: ${HINT}`).toBe(readFileSync(committed, "utf8"));
    }
  });
});
