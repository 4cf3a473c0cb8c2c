import { pathToFileURL } from "node:url";

// A real import(), out of reach of TypeScript's CommonJS transform (see importPackage).
const nativeImport = new Function("url", "return import(url)") as (url: string) => Promise<unknown>;

/**
 * Loads a package by name at run time, under tsx or vitest (ESM) and inside tslab alike. The
 * specifier is a plain string, so TypeScript neither resolves nor type-checks the package (it may
 * be optional and absent): cast the result to the slice of its API you use. A missing package
 * rejects with code MODULE_NOT_FOUND or ERR_MODULE_NOT_FOUND and its name in the message.
 *
 * tslab compiles lib/ to CommonJS, which turns `import(x)` into `require(x)`; Node ≥ 20.19 can
 * require most ESM packages, but not an ESM graph with top-level await (vega's). For that case the
 * package is resolved with `require.resolve` and loaded with a real `import()` of its file URL.
 * (That real import is only a fallback: vitest's module runner has no callback for it.)
 */
export async function importPackage(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const requireFailed = code === "ERR_REQUIRE_ASYNC_MODULE" || code === "ERR_REQUIRE_ESM";
    if (!requireFailed || typeof require !== "function") throw error;
    return nativeImport(pathToFileURL(require.resolve(specifier)).href);
  }
}
