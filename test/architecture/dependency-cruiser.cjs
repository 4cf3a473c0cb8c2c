// Import rules of lib/ (DESIGN.md, "Layout": data flows one way). Checked by
// test/architecture/import-rules.test.ts; by hand:
//   npx depcruise -c test/architecture/dependency-cruiser.cjs lib
//   npx depcruise -c test/architecture/dependency-cruiser.runtime.cjs lib
// This file sees every import a compiler sees, `import type` included (a folder copied out alone
// must still compile); dependency-cruiser.runtime.cjs holds the rule about what loads at run time.
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "No import cycles anywhere in lib/ (type-only and dynamic imports count too).",
      severity: "error",
      from: { path: "^lib/" },
      to: { circular: true },
    },
    {
      name: "core-imports-no-lib-folder",
      comment: "core/ is beneath everything: it imports no other lib folder.",
      severity: "error",
      from: { path: "^lib/core/" },
      to: { path: "^lib/", pathNot: "^lib/core/" },
    },
    {
      name: "notebook-imports-no-lib-folder",
      comment: "notebook/ runs any kernel and knows nothing of the rest of lib/.",
      severity: "error",
      from: { path: "^lib/notebook/" },
      to: { path: "^lib/", pathNot: "^lib/notebook/" },
    },
    {
      name: "serve-imports-no-train",
      comment: "A scoring image must not carry the trainer (serve/batch included).",
      severity: "error",
      from: { path: "^lib/serve/" },
      to: { path: "^lib/train/" },
    },
    {
      name: "models-imports-no-train-or-serve",
      comment: "Data flows data → train → models → serve: models/ imports neither train/ nor serve/.",
      severity: "error",
      from: { path: "^lib/models/" },
      to: { path: "^lib/(train|serve)/" },
    },
    {
      name: "spark-imports-core-and-saved-models-only",
      comment: "spark/ submits jobs: it imports core/ and models/saved/ (the model's files), never train/ or serve/.",
      severity: "error",
      from: { path: "^lib/spark/" },
      to: { path: "^lib/", pathNot: ["^lib/spark/", "^lib/core/", "^lib/models/saved/"] },
    },
    {
      name: "jobs-imports-core-only",
      comment: "jobs/ is the Indexed Job contract shared by training, scoring and k8s/: it imports core/ only.",
      severity: "error",
      from: { path: "^lib/jobs/" },
      to: { path: "^lib/", pathNot: ["^lib/jobs/", "^lib/core/"] },
    },
    {
      name: "k8s-imports-no-train-serve-or-data",
      comment: "k8s/ writes manifests and applies them: it imports core/, jobs/ and models/saved/, never the trainer or the server.",
      severity: "error",
      from: { path: "^lib/k8s/" },
      to: { path: "^lib/", pathNot: ["^lib/k8s/", "^lib/core/", "^lib/jobs/", "^lib/models/saved/"] },
    },
    {
      name: "azure-imports-core-jobs-and-k8s-only",
      comment: "azure/ provisions compute: it imports core/, jobs/ and k8s/ (the device plugin, the triggers' Jobs), never the trainer or the server.",
      severity: "error",
      from: { path: "^lib/azure/" },
      to: { path: "^lib/", pathNot: ["^lib/azure/", "^lib/core/", "^lib/jobs/", "^lib/k8s/"] },
    },
    {
      name: "platforms-imports-core-only",
      comment: "platforms/ decides; it imports core/ only.",
      severity: "error",
      from: { path: "^lib/platforms/" },
      to: { path: "^lib/", pathNot: ["^lib/platforms/", "^lib/core/"] },
    },
    {
      name: "lib-folder-only-through-index",
      comment:
        "A lib folder is used from another lib folder only through its public surface: an index.ts " +
        "(its own, or a sub-folder's, e.g. serve/batch/index.ts).",
      severity: "error",
      from: { path: "^lib/([^/]+)/" },
      to: { path: "^lib/", pathNot: ["^lib/$1/", "/index\\.ts$"] },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    // What dependency-cruiser cannot see: a specifier that is not a string literal
    // (lib/core/import-package.ts's `new Function("url", "return import(url)")`, importPackage(spec)
    // with a variable). What it does see: import, import type, export … from, import("literal"),
    // require("literal"), and importPackage("literal") — lib/'s loader for ESM-only packages.
    exoticRequireStrings: ["importPackage"],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Resolve packages as Node does for an ES module (vega-lite, hyparquet: ESM-only `exports`).
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
