// Jars from Maven Central, resolved once with Maven into .cache/ (the poms are in
// environments/spark/jars/): Spark's Kafka connector, and an Apache Kafka broker with its tools.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { toolkitInfo } from "../core/index.js";
import { SparkError } from "./errors.js";

const POMS = {
  connector: { pom: "environments/spark/jars/kafka-connector.pom.xml", dir: ".cache/spark-jars/kafka-connector" },
  kafka: { pom: "environments/spark/jars/kafka-broker.pom.xml", dir: ".cache/kafka/libs" },
} as const;

/** What --jars needs beside pyspark's own jars (the connector's pom also pulls Hadoop and Scala, which pyspark has). */
const CONNECTOR_JARS = /^(spark-sql-kafka|spark-token-provider-kafka|kafka-clients|commons-pool2)-.*\.jar$/;

function resolve(which: keyof typeof POMS, root: string, log?: (line: string) => void): string {
  const { pom, dir } = POMS[which];
  const target = path.join(root, dir);
  if (existsSync(target) && readdirSync(target).some((f) => f.endsWith(".jar"))) return target;
  log?.(`Resolving ${pom} from Maven Central into ${dir} (once)…`);
  const tmp = `${target}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.dirname(target), { recursive: true });
  const run = spawnSync(
    "mvn",
    ["-q", "-B", "-f", path.join(root, pom), `-Dmaven.repo.local=${path.join(root, ".cache", "maven")}`, "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${tmp}`],
    { encoding: "utf8", cwd: root, timeout: 10 * 60_000 },
  );
  if (run.error || run.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const why = run.error ? run.error.message : `${run.stdout}${run.stderr}`.trim().split("\n").slice(-5).join("\n");
    throw new SparkError("SPARK_UNAVAILABLE", `Maven could not resolve ${pom} (${why}). Install Maven (apt-get install maven) and let it reach Maven Central, then try again.`);
  }
  renameSync(tmp, target); // complete or absent: a killed resolution is redone
  return target;
}

/** The jars Spark's Kafka source needs (spark-submit --jars), resolved on first need. */
export function sparkKafkaJars(options: { root?: string; log?: (line: string) => void } = {}): string[] {
  const dir = resolve("connector", options.root ?? toolkitInfo().root, options.log);
  return readdirSync(dir)
    .filter((f) => CONNECTOR_JARS.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The folder of an Apache Kafka broker's jars and tools (java -cp '<dir>/*'), resolved on first need. */
export function kafkaLibs(options: { root?: string; log?: (line: string) => void } = {}): string {
  return resolve("kafka", options.root ?? toolkitInfo().root, options.log);
}
