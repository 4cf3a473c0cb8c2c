import path from "node:path";
import { importPackage } from "../core/index.js";
import { DataError } from "./errors.js";

/**
 * A Vega-Lite spec (https://vega.github.io/vega-lite/docs/). Typed loosely on purpose: vega-lite's
 * own types live behind package `exports`, which tslab's TypeScript (node10 resolution) cannot see.
 */
export type VegaLiteSpec = Record<string, unknown>;

export interface SvgOptions {
  /** Folder that relative `data.url`s are read from. Default: the working directory. */
  baseDir?: string;
  /** Scale factor for the SVG's width and height. Default 1. */
  scale?: number;
}

// The slice of vega's and vega-lite's APIs used here (both are ESM-only packages, loaded lazily).
interface VegaLoader {
  load: (uri: string, options?: unknown) => Promise<string>;
}
interface VegaView {
  toSVG(scale?: number): Promise<string>;
  finalize(): void;
}
interface VegaModule {
  parse(spec: unknown): unknown;
  loader(options: { mode: string; baseURL: string }): VegaLoader;
  View: new (runtime: unknown, options: { renderer: string; loader: VegaLoader }) => VegaView;
}
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

/**
 * Renders a Vega-Lite spec to an SVG string in Node, with no browser or canvas: compile with
 * vega-lite, run a headless vega View, `toSVG()`. Data must be inline (`data.values`) or local
 * files (`data.url` relative to `baseDir`); a remote URL is refused, not fetched.
 * Display it in tslab with `tslab.display.svg(await vegaLiteToSvg(spec))`.
 */
export async function vegaLiteToSvg(spec: VegaLiteSpec, options: SvgOptions = {}): Promise<string> {
  const [vega, vegaLite] = (await Promise.all([importPackage("vega"), importPackage("vega-lite")])) as [VegaModule, VegaLiteModule];
  let compiled: unknown;
  try {
    compiled = vegaLite.compile(spec).spec;
  } catch (error) {
    throw new DataError("BAD_SPEC", `Vega-Lite could not compile the spec: ${messageOf(error)}. Check it against https://vega.github.io/vega-lite/docs/.`, { cause: error });
  }
  const baseURL = path.resolve(options.baseDir ?? process.cwd()) + path.sep;
  const loader = vega.loader({ mode: "file", baseURL });
  // In "file" mode vega reads every URL as a path, so nothing is fetched. A failed load is only
  // logged by vega (the chart renders empty), so record failures and throw after rendering.
  const failures: string[] = [];
  let remote = false;
  const load = loader.load.bind(loader);
  loader.load = async (uri: string, opts?: unknown) => {
    if (/^([a-z][a-z0-9+.-]*:)?\/\//i.test(uri) && !/^file:/i.test(uri)) {
      remote = true;
      failures.push(`${uri} (remote: refused, not fetched)`);
      throw new Error(`remote data refused: ${uri}`);
    }
    try {
      return await load(uri, opts);
    } catch (error) {
      failures.push(`${uri} (${messageOf(error)})`);
      throw error;
    }
  };
  let view: VegaView | undefined;
  try {
    view = new vega.View(vega.parse(compiled), { renderer: "none", loader });
    const svg = await view.toSVG(options.scale ?? 1);
    if (failures.length > 0) {
      throw new DataError(
        remote ? "REMOTE_DATA" : "DATA_LOAD",
        `The plot could not load ${failures.join(", ")}. Plots read inline data (data.values) or local files ` +
          `(data.url relative to ${baseURL}); save remote data into the project first.`,
      );
    }
    return svg;
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError("BAD_SPEC", `Vega could not render the spec: ${messageOf(error)}.`, { cause: error });
  } finally {
    view?.finalize();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
