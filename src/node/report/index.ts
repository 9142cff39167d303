/** Evaluation reports: metrics.json, roc.svg, report.html; score CSV files. */
export type {
  ScoredRow,
  Thumbnail,
  ThumbnailProvider,
  ReportOptions,
  ReportMetrics,
  ReportResult,
  MetricsBlock,
  Counts,
  TypeAuc,
} from './types.js';
export { parseScoresCsv, readScoresCsv, formatScoresCsv, writeScoresCsv } from './csv.js';
export { evaluateScores, perTypeAuc, countsOf, defaultPolicy, SCORE_CONVENTION } from './evaluate.js';
export { rocSvg, type RocSeries } from './svg.js';
export { reportHtml, type HtmlInputs, type ThumbnailEntry } from './html.js';
export { writeReport, fileThumbnails } from './write.js';
