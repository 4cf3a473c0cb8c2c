// Spark: the toolkit's scoring jobs (environments/spark/: batch 2-3, Structured Streaming 2-1)
// submitted locally through pyspark's spark-submit (local[N]), spark-submit's arguments for Spark
// on AKS (k8s://), and a Livy batch client for Synapse Spark pools and HDInsight. Imports lib/core only.
export { SparkError, type SparkErrorCode } from "./errors.js";
export { localSparkEnvironment, SPARK_JOB_FILES, SPARK_PYTHON_ENV, type SparkEnvironment } from "./environment.js";
export { localSubmitArgs, kubernetesSubmitArgs, type SparkAppOptions, type LocalSubmitOptions, type KubernetesSubmitOptions } from "./submit-args.js";
export { submitSparkJob, startSparkJob, SPARK_LINE_PREFIX, type SparkSubmitOptions, type SparkJob, type SparkJobResult, type SparkProgress } from "./submit.js";
export { scoreBatchWithSpark, readSparkBatchResults, type SparkBatchScoringOptions, type SparkBatchSummary, type SparkBatchRow } from "./batch.js";
export { LivyClient, livyBatchesUrl, type LivyBatch, type LivyBatchRequest, type LivyClientOptions, type LivyState, type WaitForBatchOptions } from "./livy.js";
export { startStreamingScoring, committedSinkFiles, readSinkRows, type StreamingScoringOptions, type StreamBatch, type SinkRow } from "./stream.js";
export { startKafka, type KafkaBroker, type StartKafkaOptions } from "./kafka.js";
export { sparkKafkaJars, kafkaLibs } from "./jars.js";
