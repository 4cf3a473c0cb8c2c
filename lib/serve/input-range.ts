// The values a request may carry: every number (a feature, an instance's value, a V2 tensor
// element) lies within ±MAX_INPUT_VALUE, or the request is a 400 naming it and this range. The
// OpenAPI document declares the same bounds, so a client (or a fuzzer) knows them in advance.
//
// Why not the whole float32 range (±3.4e38)? Values near it overflow to ±Infinity inside the model
// and its output becomes NaN, which the server must then refuse as a 500 for a request it accepted:
// measured with ONNX Runtime, the tests' 4-feature MLP gives NaN from raw values of 7e37 on (its
// scaler divides one feature by 0.2), the digits CNN at 3.4e38. 1e15 leaves 22 decades of headroom
// for a model's scaler and weights, and it is below 2^53, so every JSON number at the bounds reaches
// the server exactly (JavaScript parses numbers as doubles) and the server checks what the document
// says. A model that overflows even so is answered 500 (NON_FINITE_PREDICTION), never as null.

/** The largest magnitude of an input value: values in [-MAX_INPUT_VALUE, MAX_INPUT_VALUE] are taken. */
export const MAX_INPUT_VALUE = 1e15;

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** The range, as messages and the document's descriptions say it. */
export const INPUT_RANGE_TEXT = "-1e15 to 1e15";

/** True for a number the model takes. NaN fails both comparisons. */
export function inInputRange(v: number): boolean {
  return v >= -MAX_INPUT_VALUE && v <= MAX_INPUT_VALUE;
}

/** The 400 message for a finite number out of range, naming `where` (e.g. `Feature "age"`) and the range. */
export function outOfRangeMessage(where: string, v: number): string {
  const why = Math.abs(v) > FLOAT32_MAX ? "which float32 (the model's input type) cannot hold" : "beyond the values the model takes";
  return `${where} is ${v}, ${why}: send values from ${INPUT_RANGE_TEXT} (larger ones overflow the model's float32 arithmetic; check the value's units).`;
}
