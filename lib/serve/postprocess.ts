/** One scored row as /score returns it. */
export interface Prediction {
  /** The most probable label (classifiers). */
  label?: string;
  /** Probability per label (classifiers). */
  probabilities?: Record<string, number>;
  /** The single output of a regression model. */
  value?: number;
  /** The raw output row when the model has no labels that fit it. */
  outputs?: number[];
}

/** Reads one output row: softmax over labels, a sigmoid with two labels, or raw values. */
export function toPrediction(row: Float32Array, labels: string[] | undefined): Prediction {
  if (labels && labels.length === row.length && row.length > 1) {
    const probabilities: Record<string, number> = {};
    let best = 0;
    row.forEach((p, i) => {
      probabilities[labels[i]] = p;
      if (p > row[best]) best = i;
    });
    return { label: labels[best], probabilities };
  }
  if (labels && labels.length === 2 && row.length === 1) {
    const p = row[0];
    return { label: labels[p >= 0.5 ? 1 : 0], probabilities: { [labels[0]]: 1 - p, [labels[1]]: p } };
  }
  if (row.length === 1) return { value: row[0] };
  return { outputs: Array.from(row) };
}
