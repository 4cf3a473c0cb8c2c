// The compute-platform decision framework: which Azure compute for which workload, as
// architectures/compute-platforms.md explains it.
export { choosePlatform, type Decision, type Rejected } from "./choose.js";
export { PLATFORMS, MEASURED, type Platform, type PlatformId, type TutorialPath } from "./platforms.js";
export { TRAINING_TREE, SCORING_TREE, isLeaf, type Node, type Question, type Branch, type Leaf } from "./tree.js";
export type { Workload, TrainingWorkload, ScoringWorkload } from "./workload.js";
