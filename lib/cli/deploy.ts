// `custom-ai deploy serve|batch|train|rbac` and `custom-ai undeploy`: lib/k8s on the command line.
// Manifests from the model's metadata and the options; `--dry-run -o yaml` prints them for kubectl
// users; otherwise server-side apply to the cluster of --kubeconfig, then the rollout's or the
// Job's progress on stderr, and a summary on stdout. Failures end in reportError (exit 1, 2 usage).
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import type { Manifest } from "../k8s/index.js";
import { interruptible } from "./interrupt.js";

const wholeNumber = (flag: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} takes a whole number ≥ ${min}.`);
  return n;
};

/** The options every deploy subcommand has: where, how, and --dry-run. */
function common(c: Command): Command {
  return c
    .option("--namespace <ns>", "the namespace (default: the kubeconfig context's, else default)")
    .option("--kubeconfig <file>", "the cluster's kubeconfig (default $KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "a context of the kubeconfig (default its current one)")
    .option("--dry-run", "print the manifests instead of applying them (nothing contacts a cluster)")
    .addOption(new Option("-o, --format <format>", "with --dry-run: yaml or json").choices(["yaml", "json"]).default("yaml"))
    .option("--force", "take over fields another field manager owns (server-side apply conflict)")
    .option("--no-wait", "apply, and do not wait for the rollout or the job")
    .option("--timeout <seconds>", "how long to wait for the rollout or the job", wholeNumber("--timeout", 1), 600);
}

/** Options of the pods: image, resources, GPU pool, storage. */
function workload(c: Command): Command {
  return c
    .requiredOption("--name <name>", "the instance: names its objects; `custom-ai undeploy <name>` removes them")
    .requiredOption("--image <image>", "the container image (environments/docker/), e.g. <registry>.azurecr.io/custom-ai-scoring:0.1.0")
    .option("--gpu", "run on the GPU node pool (default: image models do)")
    .option("--no-gpu", "run on CPU nodes even for an image model")
    .option("--gpu-node-selector <key=value>", "the GPU pool's node label (default kubernetes.azure.com/accelerator=nvidia)")
    .option("--cpu <quantity>", "CPU request per pod, e.g. 500m")
    .option("--memory <quantity>", "memory request and limit per pod, e.g. 1Gi")
    .option("--storage-secret <secret>", "a Secret whose key connection-string is the pods' AZURE_STORAGE_CONNECTION_STRING (else their workload identity)");
}

export function deployCommand(setExit: (code: number) => void): Command {
  const deploy = new Command("deploy").description("Deploy to Kubernetes (AKS or the cluster a kubeconfig names): the scoring service, a batch-scoring or training Indexed Job, or the deployer's RBAC");

  deploy.addCommand(
    common(workload(new Command("serve")))
      .description("The real-time scoring service: Deployment (probes, GPU pool for image models, rolling updates that keep every replica), Service, autoscaler, disruption budget")
      .requiredOption("--model <dir|url>", "the model (folder or Blob URL with metadata.json): its kind picks CPU or GPU, its checksum is the version that rolls out")
      .option("--model-location <path|url>", "where the pods read the model (default: --model when it is a URL, else /app/model baked into the image)")
      .option("--replicas <n>", "pods, and the autoscaler's minimum", wholeNumber("--replicas", 1), 2)
      .option("--max-replicas <n>", "the autoscaler's maximum (default 3 × --replicas)", wholeNumber("--max-replicas", 1))
      .option("--no-autoscale", "a fixed --replicas, no HorizontalPodAutoscaler")
      .option("--api-key-secret <secret>", "an existing Secret with the API key under api-key (default: a Secret made from $SCORING_API_KEY)")
      .option("--no-auth", "serve without an API key (something in front authenticates)")
      .addOption(new Option("--service-type <type>", "the Service's type").choices(["ClusterIP", "LoadBalancer"]).default("ClusterIP"))
      .option("--progress-deadline <seconds>", "seconds without progress before the rollout fails", wholeNumber("--progress-deadline", 1), 600)
      .action(async (o) => {
        const k8s = await import("../k8s/index.js");
        const { readModelMetadata } = await import("../models/saved/index.js");
        const metadata = await readModelMetadata(o.model);
        const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(o.model);
        const apiKey = o.auth === false || o.apiKeySecret ? undefined : process.env.SCORING_API_KEY || undefined;
        if (o.auth !== false && !o.apiKeySecret && !apiKey) {
          throw new k8s.KubernetesError("BAD_OPTION", "The scoring service needs an API key: set SCORING_API_KEY (a Secret is made from it), pass --api-key-secret <an existing Secret with the key api-key>, or --no-auth when something in front authenticates.");
        }
        const manifests = k8s.scoringManifests({
          ...workloadOptions(o),
          metadata,
          modelLocation: o.modelLocation ?? (isUrl ? o.model : undefined),
          replicas: o.replicas,
          autoscale: o.autoscale === false ? false : { minReplicas: o.replicas, maxReplicas: o.maxReplicas },
          apiKey,
          apiKeySecret: o.apiKeySecret,
          noAuth: o.auth === false,
          serviceType: o.serviceType,
          progressDeadlineSeconds: o.progressDeadline,
        });
        await run(manifests, o, setExit);
      }),
  );

  deploy.addCommand(
    common(workload(new Command("batch")))
      .description("Batch scoring as a Kubernetes Indexed Job (or a CronJob with --schedule): one index per worker, partitions i mod N, resumable")
      .requiredOption("--model <url>", "the model as the pods reach it (a Blob URL, or a folder in the image)")
      .requiredOption("--input <url>", "the input as the pods reach it (Blob URL of CSV / Parquet files or images)")
      .requiredOption("--output <url>", "where results go (Blob URL)")
      .option("--metadata-from <dir|url>", "read the model's metadata here (default: --model, when this machine can reach it) to pick CPU or GPU")
      .option("--workers <n>", "indexes (the Job's completions)", wholeNumber("--workers", 1), 2)
      .option("--parallelism <n>", "pods at once (default: all)", wholeNumber("--parallelism", 1))
      .option("--backoff-limit-per-index <n>", "retries of a failed index (an evicted pod is not counted)", wholeNumber("--backoff-limit-per-index", 0), 2)
      .option("--batch-size <n>", "rows per ONNX Runtime call", wholeNumber("--batch-size", 1))
      .option("--schedule <cron>", "run on this cron schedule (a CronJob), e.g. \"0 2 * * *\"")
      .option("--time-zone <tz>", "the schedule's time zone, e.g. Europe/Paris")
      .action(async (o) => {
        const k8s = await import("../k8s/index.js");
        const metadata = await optionalMetadata(o.metadataFrom ?? o.model, Boolean(o.metadataFrom));
        const manifests = k8s.batchJobManifests({
          ...workloadOptions(o),
          metadata,
          model: o.model,
          input: o.input,
          output: o.output,
          workers: o.workers,
          parallelism: o.parallelism,
          backoffLimitPerIndex: o.backoffLimitPerIndex,
          batchSize: o.batchSize,
          schedule: o.schedule,
          timeZone: o.timeZone,
        });
        await run(manifests, o, setExit);
      }),
  );

  deploy.addCommand(
    common(workload(new Command("train")))
      .description("Multi-node training (data-parallel or a sweep) as a Kubernetes Indexed Job, every index at once")
      .requiredOption("--run-id <id>", "the run id (letters, digits, . _ -)")
      .requiredOption("--store <url>", "the run's storage root as the pods reach it (Blob URL)")
      .option("--workers <n>", "ranks (the Job's completions; a sweep: its grid's size)", wholeNumber("--workers", 1), 2)
      .option("--config <json|@file>", "the worker configuration (dataset, model, hyper, grid…) as JSON, or @file")
      .option("--backend <name>", "a tfjs backend to force (CUSTOM_AI_BACKEND)")
      .action(async (o) => {
        const k8s = await import("../k8s/index.js");
        const manifests = k8s.trainJobManifests({
          ...workloadOptions(o),
          gpu: gpuOption(o) ?? false,
          runId: o.runId,
          storeUrl: o.store,
          workers: o.workers,
          config: o.config ? parseConfig(o.config) : undefined,
          backend: o.backend,
        });
        await run(manifests, o, setExit);
      }),
  );

  deploy.addCommand(
    common(new Command("rbac"))
      .description("For an administrator, once: the ServiceAccount, Role (only the verbs the toolkit uses) and RoleBinding that deploys with")
      .option("--name <name>", "ServiceAccount, Role and RoleBinding name", "custom-ai-deployer")
      .action(async (o) => {
        const k8s = await import("../k8s/index.js");
        await run(k8s.rbacManifests({ name: o.name, namespace: o.namespace }), { ...o, wait: false }, setExit);
      }),
  );
  return deploy;
}

export function undeployCommand(setExit: (code: number) => void): Command {
  return new Command("undeploy")
    .description("Remove what `custom-ai deploy` made for an instance (found by its labels), and wait for its pods to go")
    .argument("<name>", "the instance (--name of deploy)")
    .option("--namespace <ns>", "the namespace (default: the kubeconfig context's, else default)")
    .option("--kubeconfig <file>", "the cluster's kubeconfig (default $KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "a context of the kubeconfig")
    .option("--rbac", "also the deployer's ServiceAccount, Role and RoleBinding of that name")
    .option("--no-wait", "do not wait for the pods to go")
    .action(async (name: string, o) => {
      const { undeploy } = await import("../k8s/index.js");
      const stop = interruptible();
      try {
        const removed = await undeploy(name, { kubeconfig: o.kubeconfig, context: o.context, namespace: o.namespace, rbac: Boolean(o.rbac), wait: o.wait, abortSignal: stop.signal });
        for (const r of removed) process.stdout.write(`${r.kind} ${r.namespace}/${r.name} deleted\n`);
        if (removed.length === 0) process.stdout.write(`Nothing of ${name} to remove (no object labelled app.kubernetes.io/instance=${name}, managed by custom-ai).\n`);
        setExit(0);
      } finally {
        stop.done();
      }
    });
}

function gpuOption(o: { gpu?: boolean; gpuNodeSelector?: string }) {
  if (o.gpu === false) return false;
  if (o.gpuNodeSelector) {
    const [key, ...value] = String(o.gpuNodeSelector).split("=");
    if (!key || value.length === 0) throw new InvalidArgumentError("--gpu-node-selector takes key=value.");
    return { nodeSelector: { [key]: value.join("=") } };
  }
  return o.gpu ? true : undefined;
}

function workloadOptions(o: Record<string, any>) {
  return {
    name: o.name,
    namespace: o.namespace,
    image: o.image,
    gpu: gpuOption(o),
    resources: o.cpu || o.memory ? { cpu: o.cpu, memory: o.memory } : undefined,
    storageSecret: o.storageSecret,
  };
}

/** The model's metadata when this machine can read it; without it a batch job runs on CPU unless --gpu. */
async function optionalMetadata(location: string, required: boolean) {
  const { readModelMetadata } = await import("../models/saved/index.js");
  try {
    return await readModelMetadata(location);
  } catch (error) {
    if (required) throw error;
    process.stderr.write(`Note: the model's metadata at ${location} is not readable from here (${(error as Error).message.split("\n")[0]}); the job runs on CPU unless --gpu.\n`);
    return undefined;
  }
}

function parseConfig(text: string): Record<string, unknown> {
  const json = text.startsWith("@") ? readFileSync(text.slice(1), "utf8") : text;
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new InvalidArgumentError(`--config is not JSON: ${(error as Error).message}`);
  }
}

/** --dry-run prints; otherwise deploy with progress on stderr and the summary on stdout. */
async function run(manifests: Manifest[], o: Record<string, any>, setExit: (code: number) => void): Promise<void> {
  const k8s = await import("../k8s/index.js");
  if (o.dryRun) {
    process.stdout.write(o.format === "json" ? `${JSON.stringify(manifests.length === 1 ? manifests[0] : { apiVersion: "v1", kind: "List", items: manifests }, null, 2)}\n` : k8s.manifestsToYaml(manifests));
    setExit(0);
    return;
  }
  const stop = interruptible({ say: () => process.stderr.write("\nInterrupted: stopped waiting; what was applied stays (custom-ai undeploy removes it).\n") });
  try {
    const result = await k8s.deploy(manifests, {
      kubeconfig: o.kubeconfig,
      context: o.context,
      namespace: o.namespace,
      force: Boolean(o.force),
      wait: o.wait !== false,
      timeoutMs: (o.timeout ?? 600) * 1000,
      abortSignal: stop.signal,
      onProgress: (p) => process.stderr.write(`${p.message}\n`),
    });
    const d = result.deployment;
    const j = result.job;
    if (d) process.stdout.write(`Deployment ${d.namespace}/${d.name}: ${d.available}/${d.desired} replicas available${d.modelVersion ? ` (model sha256 ${d.modelVersion.slice(0, 12)})` : ""}\n`);
    if (j) process.stdout.write(`Job ${j.namespace}/${j.name}: indexes done ${j.indexesDone}/${j.completions}\n`);
    if (!d && !j) for (const a of result.applied) process.stdout.write(`${a.kind} ${a.namespace}/${a.name} ${a.action}\n`);
    setExit(0);
  } finally {
    stop.done();
  }
}
