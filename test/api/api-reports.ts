// API reports of lib/: one test/api/<folder>.api.md per public surface (each lib/**/index.ts), made
// by API Extractor from the declarations tsc emits for lib/ (test/api/tsconfig.json, into
// .cache/api/dts). A change to a folder's public surface then shows as a diff of its report.
//   npm run api:update   regenerate test/api/*.api.md (commit them with the change)
// test/architecture/api-reports.test.ts fails when a checked-in report differs from lib/.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage, type IConfigFile } from "@microsoft/api-extractor";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "../..");
/** Where the checked-in reports live. */
export const REPORT_FOLDER = path.join(root, "test", "api");
const TSCONFIG = path.join(REPORT_FOLDER, "tsconfig.json");
const DTS_FOLDER = path.join(root, ".cache", "api", "dts");

export interface EntryPoint {
  /** The report's base name: the folder under lib/, with "-" for "/" (serve/batch → serve-batch). */
  name: string;
  /** lib/<folder>/index.ts, relative to the project root. */
  index: string;
}

/** Every public surface of lib/: each folder's index.ts (sub-folders' included), sorted by name. */
export function entryPoints(): EntryPoint[] {
  const found: EntryPoint[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, "lib", rel), { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const folder = rel ? `${rel}/${e.name}` : e.name;
      if (existsSync(path.join(root, "lib", folder, "index.ts"))) found.push({ name: folder.replaceAll("/", "-"), index: `lib/${folder}/index.ts` });
      walk(folder);
    }
  };
  walk("");
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** tsc with test/api/tsconfig.json: lib/'s declarations into .cache/api/dts (emptied first). Throws on compile errors. */
function emitDeclarations(): void {
  rmSync(DTS_FOLDER, { recursive: true, force: true });
  const parsed = ts.getParsedCommandLineOfConfigFile(TSCONFIG, { outDir: DTS_FOLDER }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
  if (!parsed) throw new Error(`cannot read ${TSCONFIG}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const emitted = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
    throw new Error(`lib/ does not compile, so its API reports cannot be made:\n${ts.formatDiagnostics(errors.slice(0, 20), host)}`);
  }
}

/** The declaration file tsc emits for `lib/….ts`. */
function declarationOf(file: string): string {
  return path.join(DTS_FOLDER, path.relative("lib", file).replace(/\.ts$/, ".d.ts"));
}

function extractorConfig(entry: EntryPoint, all: EntryPoint[], reportFolder: string, tempFolder: string): ExtractorConfig {
  const configObject: IConfigFile = {
    projectFolder: root,
    mainEntryPointFilePath: declarationOf(entry.index),
    newlineKind: "lf",
    compiler: {
      // The declarations only; node_modules types are read as they are (skipLibCheck, as tsconfig.json).
      overrideTsconfig: {
        compilerOptions: { target: "ES2022", lib: ["ES2022"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, types: ["node"] },
        files: all.map((e) => declarationOf(e.index)),
      },
      skipLibCheck: true,
    },
    apiReport: { enabled: true, reportFileName: entry.name, reportFolder, reportTempFolder: tempFolder },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning },
        // lib/ uses no release tags (@public, @beta …): every export is public.
        "ae-missing-release-tag": { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
        // A type the surface uses but the index does not export: noted in the report, not on the console.
        "ae-forgotten-export": { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
        // Missing doc comments are not an API change.
        "ae-undocumented": { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
        // {@link …} targets in doc comments are prose here, not checked references.
        "ae-unresolved-link": { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
      },
      // Doc comments are plain JSDoc, not strict TSDoc: its syntax warnings are noise.
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  };
  return ExtractorConfig.prepare({ configObject, configObjectFullPath: undefined, packageJsonFullPath: path.join(root, "package.json") });
}

/**
 * Emits lib/'s declarations and writes one `<name>.api.md` per entry point into `outFolder`
 * (API Extractor's scratch copies go to `workFolder`). Throws when lib/ does not compile or API
 * Extractor reports an error or a warning. Returns the report files written.
 */
export function generateApiReports(outFolder: string, workFolder: string): string[] {
  mkdirSync(outFolder, { recursive: true });
  mkdirSync(workFolder, { recursive: true });
  emitDeclarations();
  const entries = entryPoints();
  const configs = entries.map((entry) => extractorConfig(entry, entries, outFolder, workFolder));
  // One TypeScript program for all entry points, not one each.
  const compilerState = CompilerState.create(configs[0], { additionalEntryPoints: configs.map((c) => c.mainEntryPointFilePath) });
  const problems: string[] = [];
  const onMessage = (message: ExtractorMessage): void => {
    message.handled = true;
    const quiet = [ExtractorLogLevel.None, ExtractorLogLevel.Verbose, ExtractorLogLevel.Info].includes(message.logLevel);
    // "The report changed / was created": into a fresh folder it always is; the callers compare.
    const reportNews = message.logLevel === ExtractorLogLevel.Warning && /^console-api-report-(changed|created|copied|missing)/.test(message.messageId);
    if (quiet || reportNews) return;
    const where = message.sourceFilePath ? `${path.relative(root, message.sourceFilePath)}:${message.sourceFileLine ?? "?"}: ` : "";
    problems.push(`${where}(${message.messageId}) ${message.text}`);
  };
  for (const config of configs) {
    const result = Extractor.invoke(config, { localBuild: true, compilerState, messageCallback: onMessage });
    if (!result.succeeded) problems.push(`API Extractor failed on ${path.relative(root, config.mainEntryPointFilePath)} (${result.errorCount} errors)`);
  }
  if (problems.length > 0) throw new Error(`API Extractor:\n  ${problems.join("\n  ")}`);
  return entries.map((e) => path.join(outFolder, `${e.name}.api.md`));
}

/** `npm run api:update`: regenerate test/api/*.api.md, removing reports of entry points that are gone. */
function update(): void {
  const work = mkdtempSync(path.join(os.tmpdir(), "cai-api-"));
  try {
    const fresh = path.join(work, "reports");
    const written = generateApiReports(fresh, path.join(work, "scratch"));
    const names = new Set(written.map((f) => path.basename(f)));
    for (const old of readdirSync(REPORT_FOLDER).filter((f) => f.endsWith(".api.md") && !names.has(f))) {
      rmSync(path.join(REPORT_FOLDER, old));
      console.log(`removed test/api/${old}`);
    }
    for (const file of written) copyFileSync(file, path.join(REPORT_FOLDER, path.basename(file)));
    console.log(`wrote ${written.length} API reports to test/api/: ${[...names].join(", ")}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) update();
