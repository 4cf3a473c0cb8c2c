// Deploying to Kubernetes (AKS, or any cluster a kubeconfig names): typed, validated manifests for
// the scoring service, the batch scorer and the multi-node trainer (Indexed Jobs, a CronJob), the
// deployer's RBAC; server-side apply; rollouts and jobs waited for with watches; undeploy by label.
// Manifests need no cluster; @kubernetes/client-node is loaded on first contact with one.
export { scoringManifests, terminationGraceSeconds, SCORING_PORT, BAKED_MODEL_PATH, API_KEY_SECRET_KEY, API_KEY_ANNOTATION, PRE_STOP_SECONDS, type ScoringManifestOptions, type AutoscaleOptions } from "./scoring.js";
export {
  batchJobManifests,
  trainJobManifests,
  batchWorkerEnv,
  trainWorkerEnv,
  WORKER_CONTAINER,
  KNOWN_FAILURE_EXIT,
  JOB_NAME_LABEL,
  type BatchJobManifestOptions,
  type TrainJobManifestOptions,
  type IndexedJobOptions,
} from "./jobs.js";
export { rbacManifests, DEPLOYER_RULES, type RbacManifestOptions } from "./rbac.js";
export { DEFAULT_GPU_POOL, STORAGE_SECRET_KEY, type GpuPoolOptions, type ResourceOptions, type WorkloadOptions } from "./pod.js";
export { modelKind, modelVersion, MODEL_ANNOTATIONS, type ModelKind } from "./model-info.js";
export { LABELS, MANAGED_BY, FIELD_MANAGER, APP_NAMES, instanceLabels, instanceSelector, toKubernetesName, type WorkloadKind } from "./labels.js";
export { secretManifest, type Manifest } from "./manifest.js";
export { manifestsToYaml } from "./manifests-yaml.js";
export { connect, type KubeOptions, type Cluster } from "./client.js";
export { INITIAL_REPLICAS_MANAGER, type AppliedObject } from "./apply.js";
export { deploy, type DeployOptions, type DeployResult, type DeployProgress } from "./deploy.js";
export { waitForRollout, waitForJob, type WaitOptions, type WaitProgress } from "./wait.js";
export { describeDeployment, describeJob } from "./describe.js";
export { countIndexes, type DeploymentSummary, type JobSummary } from "./status.js";
export { undeploy, type UndeployOptions, type RemovedObject } from "./undeploy.js";
export { KubernetesError, type KubernetesErrorCode } from "./errors.js";
export { deployTutorial, imageReference, manifestSummary, manifestExcerpt, BUILD_LOCAL_COMMAND, type TutorialDeployOptions, type TutorialDeployResult, type TutorialTarget } from "./tutorial.js";
