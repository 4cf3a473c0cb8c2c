import { DataError } from "./errors.js";

/** What a fitted scaler needs to be rebuilt elsewhere (a scoring server): JSON-serialisable. */
export interface StandardScalerParams {
  mean: number[];
  std: number[];
}

export interface StandardScaler extends StandardScalerParams {
  /** (x − mean) / std per column, as new rows. */
  transform(rows: readonly (readonly number[])[]): number[][];
  /** The same for one row. */
  transformRow(row: readonly number[]): number[];
  /** `{ mean, std }`, to keep beside the model (its metadata) so scoring scales inputs the same way. */
  toJSON(): StandardScalerParams;
}

/**
 * Learns each column's mean and (population) standard deviation from the training rows only.
 * A constant column gets std 1, so it maps to 0 instead of NaN. Apply the same scaler to the test
 * set and at scoring time; rebuild it from saved params with `standardScalerFrom`.
 */
export function fitStandardScaler(rows: readonly (readonly number[])[]): StandardScaler {
  if (rows.length === 0) throw new DataError("BAD_OPTION", "fitStandardScaler needs at least one row.");
  const width = rows[0].length;
  const mean = new Array<number>(width).fill(0);
  const sq = new Array<number>(width).fill(0);
  rows.forEach((row, r) => {
    if (row.length !== width) throw new DataError("BAD_OPTION", `Row ${r} has ${row.length} values; the first row has ${width}.`);
    for (let j = 0; j < width; j++) mean[j] += row[j];
  });
  for (let j = 0; j < width; j++) mean[j] /= rows.length;
  for (const row of rows) for (let j = 0; j < width; j++) sq[j] += (row[j] - mean[j]) ** 2;
  const std = sq.map((s) => Math.sqrt(s / rows.length)).map((s) => (s > 1e-12 ? s : 1));
  return standardScalerFrom({ mean, std });
}

/** Rebuilds a scaler from `{ mean, std }` (as saved by `toJSON`). */
export function standardScalerFrom(params: StandardScalerParams): StandardScaler {
  const mean = params?.mean;
  const std = params?.std;
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || std.some((s) => !(s > 0))) {
    throw new DataError("BAD_OPTION", "A standard scaler needs { mean: number[], std: number[] } of equal length with every std > 0.");
  }
  const width = mean.length;
  const transformRow = (row: readonly number[]): number[] => {
    if (row.length !== width) throw new DataError("BAD_OPTION", `The scaler was fitted on ${width} columns; this row has ${row.length}.`);
    return row.map((v, j) => (v - mean[j]) / std[j]);
  };
  return {
    mean: mean.slice(),
    std: std.slice(),
    transformRow,
    transform: (rows) => rows.map(transformRow),
    toJSON: () => ({ mean: mean.slice(), std: std.slice() }),
  };
}
