// What lib/serve/ loads at run time (see dependency-cruiser.cjs for the rest of the import rules).
// Compiled-away imports (`import type`, imports used only as types) are left out here: they load
// nothing. Static imports, import("literal"), require("literal") and importPackage("literal") count,
// and so does every module they reach in turn.
// No tsConfig here: TypeScript then transpiles each file to an ES module (the project's NodeNext
// setting would give CommonJS, in which `importPackage("x")` calls become unrecognisable), and
// drops what only types use.
const { tsConfig, ...options } = require("./dependency-cruiser.cjs").options;

/** Packages that are, or load, TensorFlow.js: danfojs-node requires tfjs-node (aliased to @tensorflow/tfjs). */
const TFJS = "(^|/)node_modules/(@tensorflow/|tfjs-node-optional/|tfjs-node-gpu-optional/|danfojs-node/)";

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "serve-loads-no-tfjs",
      comment: "Serving code (serve/, serve/batch included) loads no TensorFlow.js at run time, directly or through any module it imports.",
      severity: "error",
      from: { path: "^lib/serve/" },
      to: { path: TFJS, reachable: true },
    },
  ],
  options: { ...options, tsPreCompilationDeps: false },
};
