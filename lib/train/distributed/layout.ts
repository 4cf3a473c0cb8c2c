/** Where a run keeps its files in the store: one folder per run id. */
export function runLayout(runId: string) {
  const root = `runs/${runId}`;
  return {
    root,
    heartbeats: `${root}/heartbeat/`,
    heartbeat: (rank: number) => `${root}/heartbeat/rank-${rank}.json`,
    statuses: `${root}/status/`,
    status: (rank: number) => `${root}/status/rank-${rank}.json`,
    epoch: (epoch: number) => `${root}/epoch-${epoch}/`,
    weights: (epoch: number, rank: number) => `${root}/epoch-${epoch}/rank-${rank}`,
    /** The final model of a data-parallel run (saveModel's files). */
    model: `${root}/model`,
    result: `${root}/result.json`,
    trials: `${root}/trials/`,
    trial: (index: number) => `${root}/trials/trial-${index}`,
    trialResult: (index: number) => `${root}/trials/trial-${index}/result.json`,
    trialModel: (index: number) => `${root}/trials/trial-${index}/model`,
    /** A sweep's summary and its best model, written by collectSweep. */
    sweep: `${root}/sweep.json`,
    bestModel: `${root}/best/model`,
  };
}

/** The rank a key like ".../rank-3" or ".../rank-3.json" names, else undefined. */
export function rankOfKey(key: string): number | undefined {
  const match = /\/rank-(\d+)(\.json)?$/.exec(key);
  return match ? Number(match[1]) : undefined;
}
