// A local Apache Kafka broker in KRaft mode (one process, broker and controller) on 127.0.0.1: the
// stand-in for Event Hubs' Kafka endpoint in tutorial 2-1. Its jars come from Maven Central (jars.ts);
// records are produced with Kafka's own console producer.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { importPackage, killWithParent, stopProcess } from "../core/index.js";
import { SparkError } from "./errors.js";
import { kafkaLibs } from "./jars.js";
import { spawnWatched } from "./watchdog.js";

/**
 * A Kafka cluster id: 16 random bytes in URL-safe base64 that does not start with "-" (which the
 * storage tool's argument parser would take for an option — 1 run in 64 failed so; Kafka's own
 * Uuid.randomUuid() draws again in that case too).
 */
export function kafkaClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export interface KafkaBroker {
  /** host:port for kafka.bootstrap.servers. */
  bootstrap: string;
  /** Sends records (key, value: one line each, no tab or newline in the key) to `topic`; resolves once they are acknowledged. */
  produce(topic: string, records: { key: string; value: string }[]): Promise<void>;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** Where its log folder goes (removed by stop). Default os.tmpdir(). */
  tempDir?: string;
  /** Partitions of a topic created on first use. Default 2. */
  partitions?: number;
  /** Broker heap. Default 512m. */
  heap?: string;
  log?: (line: string) => void;
  /** How long to wait for it to listen. Default 90 s. */
  startTimeoutMs?: number;
}

function java(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
}

function runJava(args: string[], input?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(java(), args, { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", (error) => resolve({ code: -1, output: error.message }));
    child.once("close", (code) => resolve({ code, output }));
    child.stdin.end(input ?? "");
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Starts a single-node KRaft broker on free loopback ports. Throws SparkError SPARK_UNAVAILABLE when it cannot. */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const libs = kafkaLibs({ log: options.log });
  const cp = `${libs}/*`;
  const dir = mkdtempSync(path.join(options.tempDir ?? os.tmpdir(), "cai-kafka-"));
  // get-port (ESM-only, hence importPackage) keeps the ports it handed out for a while: the two
  // cannot be the same, as two probes of a free port could be.
  const { default: getPort } = (await importPackage("get-port")) as { default: (options?: { host?: string }) => Promise<number> };
  const [port, controller] = [await getPort({ host: "127.0.0.1" }), await getPort({ host: "127.0.0.1" })];
  const config = path.join(dir, "server.properties");
  writeFileSync(
    config,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      "controller.listener.names=CONTROLLER",
      "inter.broker.listener.name=PLAINTEXT",
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
      `log.dirs=${path.join(dir, "logs")}`,
      `num.partitions=${options.partitions ?? 2}`,
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "",
    ].join("\n"),
  );
  const fail = (why: string) => {
    rmSync(dir, { recursive: true, force: true });
    return new SparkError("SPARK_UNAVAILABLE", `The local Kafka broker did not start: ${why}`);
  };
  const clusterId = kafkaClusterId();
  const format = await runJava(["-cp", cp, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config]);
  if (format.code !== 0) throw fail(`formatting its log folder failed (${format.output.trim().split("\n").slice(-3).join(" ")}).`);
  const broker = spawnWatched(java(), [`-Xmx${options.heap ?? "512m"}`, "-cp", cp, "kafka.Kafka", config], { cwd: dir, cleanup: dir });
  const forget = killWithParent(broker, { group: true });
  let output = "";
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-4000));
  broker.stdout!.on("data", keep);
  broker.stderr!.on("data", keep);
  const stop = async () => {
    await stopProcess(broker, { graceMs: 10_000, group: true });
    forget();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  while (!(await listening(port))) {
    if (broker.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw fail(broker.exitCode !== null ? `it exited with code ${broker.exitCode}: ${output.trim().split("\n").slice(-5).join(" ")}` : "it did not listen in time.");
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const bootstrap = `127.0.0.1:${port}`;
  options.log?.(`Kafka ${path.basename(libs)} broker (KRaft) listening on ${bootstrap}`);
  return {
    bootstrap,
    async produce(topic, records) {
      for (const r of records) if (/[\t\r\n]/.test(r.key) || /[\r\n]/.test(r.value)) throw new TypeError(`A record's key may hold no tab or line break, its value no line break: ${JSON.stringify(r.key)}`);
      const input = records.map((r) => `${r.key}\t${r.value}\n`).join("");
      const args = ["-cp", cp, "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap, "--topic", topic, "--property", "parse.key=true", "--property", "key.separator=\t", "--producer-property", "acks=all"];
      const sent = await runJava(args, input);
      if (sent.code !== 0) throw new SparkError("SPARK_JOB_FAILED", `Kafka's console producer failed (exit ${sent.code}): ${sent.output.trim().split("\n").slice(-5).join(" ")}`);
    },
    stop,
  };
}
