export { vegaLiteToSvg, type SvgOptions, type VegaLiteSpec } from "./plot.js";
export { markdownTable, htmlTable, formatCell, columnsOf, type Row } from "./table.js";
export { DataError } from "./errors.js";
