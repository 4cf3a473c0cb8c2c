// `custom-ai platforms choose`: which Azure compute for a workload (lib/platforms), with the
// reasons and the rejected alternatives. Usage errors exit 2 (commander's, or choosePlatform's
// BAD_OPTION for a workload that is incomplete).
import { Command, InvalidArgumentError, Option } from "commander";
// Types only at the top: lib/platforms loads when the subcommand runs (a scoring image, whose
// `custom-ai serve` loads this file too, does not carry it).
import type { Decision, Workload } from "../platforms/index.js";

const count = (flag: string, integer: boolean, min: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new InvalidArgumentError(`${flag} takes a ${integer ? "whole number" : "number"} ≥ ${min}.`);
  }
  return n;
};

interface ChooseOptions {
  task: "training" | "scoring";
  mode?: "realtime" | "batch";
  model?: "ml" | "dl";
  gpu?: boolean;
  nodes?: number;
  unattended?: boolean;
  interruptible?: boolean;
  managed?: boolean;
  spark?: boolean;
  sporadic?: boolean;
  imagesPerSecond?: number;
  p99Ms?: number;
  json?: boolean;
}

function workloadOf(o: ChooseOptions): Workload {
  const common = { interruptible: o.interruptible === true, managed: o.managed === true };
  if (o.task === "training") return { task: "training", gpu: o.gpu === true, nodes: o.nodes ?? 1, unattended: o.unattended === true, ...common };
  return {
    task: "scoring",
    mode: o.mode as "realtime" | "batch",
    model: o.model as "ml" | "dl",
    spark: o.spark === true,
    sporadic: o.sporadic === true,
    imagesPerSecond: o.imagesPerSecond ?? 0,
    ...(o.p99Ms === undefined ? {} : { p99MsPerBatch: o.p99Ms }),
    ...common,
  };
}

/** The decision as text: platform and path, why, and what was rejected. */
export function formatDecision(d: Decision): string {
  return [
    `Platform: ${d.platform.name} (${d.platform.id})${d.path ? `, tutorial path ${d.path}` : ", no tutorial path: the managed alternative"}`,
    "Why:",
    ...d.reasons.map((r) => `  - ${r}`),
    "Rejected:",
    ...d.rejected.map((r) => `  - ${r.platform.name}: ${r.why}`),
    "",
  ].join("\n");
}

function chooseCommand(): Command {
  return new Command("choose")
    .description("Choose the Azure compute for a workload (the trees of architectures/compute-platforms.md)")
    .addOption(new Option("--task <task>", "what the workload does").choices(["training", "scoring"]).makeOptionMandatory())
    .addOption(new Option("--mode <mode>", "scoring: real time (a request waits) or batch").choices(["realtime", "batch"]))
    .addOption(new Option("--model <kind>", "scoring: ml (a classic model on rows) or dl (a deep learning model on images)").choices(["ml", "dl"]))
    .option("--gpu", "training: it needs a GPU")
    .option("--nodes <n>", "training: nodes at once (data-parallel workers or sweep trials)", count("--nodes", true, 1))
    .option("--unattended", "training: runs unattended (scheduled retraining), not a person at a notebook")
    .option("--interruptible", "it checkpoints or resumes, so spot nodes may evict it")
    .option("--managed", "the team wants a managed ML service (Azure ML) rather than its own VMs and clusters")
    .option("--spark", "scoring: the data already flows through Spark (a stream in Structured Streaming, tables a Spark pool reads)")
    .option("--sporadic", "scoring in real time: traffic is idle most of the day")
    .option("--images-per-second <n>", "scoring dl: images per second one node must score", count("--images-per-second", false, 0))
    .option("--p99-ms <ms>", "scoring dl in real time: p99 budget in ms per batch of 32", count("--p99-ms", false, 0))
    .option("--json", "print the decision as JSON")
    .action(async (o: ChooseOptions) => {
      const { choosePlatform } = await import("../platforms/index.js");
      const decision = choosePlatform(workloadOf(o));
      process.stdout.write(o.json ? `${JSON.stringify(decision, null, 2)}\n` : formatDecision(decision));
    });
}

/** `custom-ai platforms …` */
export function platformsCommand(_setExit: (code: number) => void): Command {
  return new Command("platforms").description("Which Azure compute for which workload").addCommand(chooseCommand());
}
