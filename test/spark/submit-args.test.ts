// spark-submit's arguments: local[N] on loopback without a UI, scratch under one folder; k8s://
// cluster mode for Spark on AKS. Pure functions: no JVM here.
import { describe, expect, it } from "vitest";
import { kubernetesSubmitArgs, localSparkEnvironment, localSubmitArgs, SparkError } from "../../lib/spark/index.js";

const confOf = (args: string[]) => Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === "--conf" ? [a.split(/=(.*)/s).slice(0, 2)] : [])));

describe("spark-submit arguments", () => {
  it("local: local[N], loopback, no web UI, every scratch folder under scratchDir, the app last", () => {
    const args = localSubmitArgs({ app: "job.py", args: ["--input", "in"], pyFiles: ["a.py", "b.py"], cores: 3, scratchDir: "/tmp/s", ivyDir: "/repo/.cache/ivy", conf: { "spark.sql.shuffle.partitions": "4" } });
    expect(args.slice(0, 2)).toEqual(["--master", "local[3]"]);
    expect(args.slice(-3)).toEqual(["job.py", "--input", "in"]);
    expect(args[args.indexOf("--py-files") + 1]).toBe("a.py,b.py");
    const conf = confOf(args);
    expect(conf["spark.ui.enabled"]).toBe("false");
    expect(conf["spark.driver.bindAddress"]).toBe("127.0.0.1");
    expect(conf["spark.local.dir"]).toBe("/tmp/s");
    expect(conf["spark.sql.warehouse.dir"]).toBe("/tmp/s/warehouse");
    expect(conf["spark.driver.extraJavaOptions"]).toContain("-Djava.io.tmpdir=/tmp/s");
    expect(conf["spark.jars.ivy"]).toBe("/repo/.cache/ivy");
    expect(conf["spark.sql.shuffle.partitions"]).toBe("4");
  });

  it("k8s: cluster mode against the API server, image, namespace, service account, executors, node selector, secrets, env", () => {
    const args = kubernetesSubmitArgs({
      apiServer: "https://aks-dns.hcp.westeurope.azmk8s.io:443",
      image: "myacr.azurecr.io/custom-ai-spark:1",
      namespace: "scoring",
      executors: 4,
      executorMemory: "4g",
      nodeSelector: { agentpool: "spark" },
      secrets: { "storage-key": "/etc/storage" },
      env: { AZURE_CLIENT_ID: "abc" },
      app: "local:///opt/custom-ai/environments/spark/score_batch.py",
      pyFiles: ["local:///opt/custom-ai/environments/spark/custom_ai_scoring.py"],
      args: ["--model", "abfss://models@acct.dfs.core.windows.net/m"],
    });
    expect(args.slice(0, 4)).toEqual(["--master", "k8s://https://aks-dns.hcp.westeurope.azmk8s.io:443", "--deploy-mode", "cluster"]);
    const conf = confOf(args);
    expect(conf).toMatchObject({
      "spark.kubernetes.container.image": "myacr.azurecr.io/custom-ai-spark:1",
      "spark.kubernetes.namespace": "scoring",
      "spark.kubernetes.authenticate.driver.serviceAccountName": "spark",
      "spark.executor.instances": "4",
      "spark.executor.memory": "4g",
      "spark.kubernetes.node.selector.agentpool": "spark",
      "spark.kubernetes.driver.secrets.storage-key": "/etc/storage",
      "spark.kubernetes.executor.secrets.storage-key": "/etc/storage",
      "spark.kubernetes.driverEnv.AZURE_CLIENT_ID": "abc",
      "spark.executorEnv.AZURE_CLIENT_ID": "abc",
    });
    expect(args.slice(-3)).toEqual(["local:///opt/custom-ai/environments/spark/score_batch.py", "--model", "abfss://models@acct.dfs.core.windows.net/m"]);
    expect(() => kubernetesSubmitArgs({ apiServer: "aks-dns:443", image: "i", app: "a" })).toThrow(/https:\/\/ URL/);
  });

  it("a Python without pyspark is SPARK_UNAVAILABLE, saying how to make one", () => {
    const error = (() => {
      try {
        localSparkEnvironment({ python: "/nonexistent/python" });
      } catch (e) {
        return e;
      }
    })() as SparkError;
    expect(error).toBeInstanceOf(SparkError);
    expect(error.code).toBe("SPARK_UNAVAILABLE");
    expect(error.message).toMatch(/node bin\/python-env\.mjs/);
  });
});
