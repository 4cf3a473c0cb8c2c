// spark-submit's command lines: a local[N] master on this machine, and a k8s:// master (Spark on
// AKS: the driver and executors run as pods of a container image with the job files in it).

export interface SparkAppOptions {
  /** The Python application (a .py file path, or local:///... inside an image). */
  app: string;
  /** Its arguments. */
  args?: string[];
  /** Python modules it imports (shipped to the executors). */
  pyFiles?: string[];
  /** Extra jars (paths or URLs): connectors resolved into .cache beforehand. */
  jars?: string[];
  /** Maven coordinates resolved by spark-submit itself (into spark.jars.ivy). */
  packages?: string[];
  /** Spark configuration (--conf key=value). */
  conf?: Record<string, string>;
  /** The application's name. */
  name?: string;
}

export interface LocalSubmitOptions extends SparkAppOptions {
  /** local[N]: N task slots on this machine. Default 2. */
  cores?: number;
  /** Driver memory, e.g. "2g". Default 1g. */
  driverMemory?: string;
  /** Spark's scratch folders (spark.local.dir, java.io.tmpdir, the warehouse): made and removed by submitSparkJob. */
  scratchDir: string;
  /** Ivy's cache for `packages` (kept between runs: .cache/ivy). */
  ivyDir?: string;
  /** A log4j2 properties file for the driver (quieter logs). */
  log4jConfig?: string;
}

/** spark-submit's arguments for a local[N] master: loopback only, no web UI, scratch under scratchDir. */
export function localSubmitArgs(options: LocalSubmitOptions): string[] {
  const javaOptions = [`-Djava.io.tmpdir=${options.scratchDir}`, `-Dderby.system.home=${options.scratchDir}`];
  if (options.log4jConfig) javaOptions.push(`-Dlog4j2.configurationFile=file:${options.log4jConfig}`);
  const conf: Record<string, string> = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.local.dir": options.scratchDir,
    "spark.sql.warehouse.dir": `${options.scratchDir}/warehouse`,
    "spark.driver.extraJavaOptions": javaOptions.join(" "),
    // Local folders without Hadoop's .crc side files.
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    "spark.hadoop.fs.file.impl.disable.cache": "true",
    ...(options.ivyDir ? { "spark.jars.ivy": options.ivyDir } : {}),
    ...options.conf,
  };
  return [
    "--master",
    `local[${options.cores ?? 2}]`,
    "--driver-memory",
    options.driverMemory ?? "1g",
    ...commonArgs(options, conf),
  ];
}

export interface KubernetesSubmitOptions extends SparkAppOptions {
  /** The API server, e.g. https://my-aks-dns.hcp.westeurope.azmk8s.io:443 (from the kubeconfig). */
  apiServer: string;
  /** The image with Spark, Python, onnxruntime and the job files (e.g. <registry>.azurecr.io/custom-ai-spark:1). */
  image: string;
  namespace?: string;
  /** The service account the driver uses to create executor pods. Default "spark". */
  serviceAccount?: string;
  executors?: number;
  executorCores?: number;
  executorMemory?: string;
  driverMemory?: string;
  /** Node selector for driver and executors (e.g. { agentpool: "spark" }). */
  nodeSelector?: Record<string, string>;
  /** Secret name → mount path on driver and executors (e.g. the storage key). */
  secrets?: Record<string, string>;
  /** Environment for driver and executors (e.g. AZURE_CLIENT_ID for workload identity). */
  env?: Record<string, string>;
}

/**
 * spark-submit's arguments for Spark on Kubernetes (AKS) in cluster mode: the driver runs as a pod
 * of `image`, and so do its executors. `app` and `pyFiles` are paths inside the image (local://...).
 * Run with the same spark-submit (pyspark's) and a kubeconfig that reaches the cluster.
 */
export function kubernetesSubmitArgs(options: KubernetesSubmitOptions): string[] {
  const server = options.apiServer.replace(/^k8s:\/\//, "");
  if (!/^https?:\/\//.test(server)) throw new TypeError(`apiServer must be the API server's https:// URL, not ${JSON.stringify(options.apiServer)}`);
  const conf: Record<string, string> = {
    "spark.kubernetes.container.image": options.image,
    "spark.kubernetes.namespace": options.namespace ?? "default",
    "spark.kubernetes.authenticate.driver.serviceAccountName": options.serviceAccount ?? "spark",
    "spark.executor.instances": String(options.executors ?? 2),
    "spark.executor.cores": String(options.executorCores ?? 1),
    "spark.executor.memory": options.executorMemory ?? "2g",
    "spark.driver.memory": options.driverMemory ?? "1g",
    "spark.kubernetes.pyspark.pythonVersion": "3",
  };
  for (const [k, v] of Object.entries(options.nodeSelector ?? {})) conf[`spark.kubernetes.node.selector.${k}`] = v;
  for (const [name, mount] of Object.entries(options.secrets ?? {})) {
    conf[`spark.kubernetes.driver.secrets.${name}`] = mount;
    conf[`spark.kubernetes.executor.secrets.${name}`] = mount;
  }
  for (const [k, v] of Object.entries(options.env ?? {})) {
    conf[`spark.kubernetes.driverEnv.${k}`] = v;
    conf[`spark.executorEnv.${k}`] = v;
  }
  return ["--master", `k8s://${server}`, "--deploy-mode", "cluster", ...commonArgs(options, { ...conf, ...options.conf })];
}

function commonArgs(options: SparkAppOptions, conf: Record<string, string>): string[] {
  const args: string[] = [];
  if (options.name) args.push("--name", options.name);
  if (options.pyFiles?.length) args.push("--py-files", options.pyFiles.join(","));
  if (options.jars?.length) args.push("--jars", options.jars.join(","));
  if (options.packages?.length) args.push("--packages", options.packages.join(","));
  for (const [k, v] of Object.entries(conf)) args.push("--conf", `${k}=${v}`);
  return [...args, options.app, ...(options.args ?? [])];
}
