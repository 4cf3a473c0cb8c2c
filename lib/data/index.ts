export { vegaLiteToSvg, type SvgOptions, type VegaLiteSpec } from "./plot.js";
export { markdownTable, htmlTable, formatCell, columnsOf, type Row } from "./table.js";
export { DataError } from "./errors.js";
export { mulberry32, deriveSeed, randomInt, shuffleInPlace, permutation, withSeededRandom, type Random } from "./random.js";
export { trainTestSplit, takeRows, takeSamples, type Split, type SplitOptions } from "./split.js";
export { fitStandardScaler, standardScalerFrom, type StandardScaler, type StandardScalerParams } from "./scaler.js";
export { loadBreastCancer, breastCancerFrame, BREAST_CANCER_SOURCE, BREAST_CANCER_LICENCE, type TabularDataset } from "./breast-cancer.js";
export { loadDigits, DIGITS_SOURCE, DIGITS_LICENCE, type DigitsOptions, type DigitsDataset } from "./digits.js";
export { datasetsDir } from "./dataset-files.js";
