/**
 * What a drift monitor makes of a window compared with its baseline: one score per feature by the chosen
 * statistic, findings for missing values, types and schema, and the report in Model Monitor's
 * `constraint_violations.json` format, which the drift evaluator reads as it reads Model Monitor's own.
 */
import type { DriftConfig, DriftThresholds } from './contracts/drift';
import type { DriftScoreStatistic } from './contracts/drift-monitor';
import { own } from './result';
import type { FeatureScore } from './drift';
import type { FeatureComparison, WindowComparison } from './drift-statistics';

/** One entry of a `constraint_violations.json`, as Model Monitor writes it, with the statistic named. */
export interface ViolationEntry {
  readonly feature_name: string;
  readonly constraint_check_type: string;
  readonly description: string;
  readonly statistic?: DriftScoreStatistic;
}

export interface MonitorAssessment {
  /** Every finding, violation or not: what the monitor publishes as `DriftScore` by feature. */
  readonly scores: readonly FeatureScore[];
  /** The report: the findings at or above their feature's medium threshold, and every schema finding. */
  readonly report: { readonly violations: readonly ViolationEntry[] };
}

/** The statistic that scores a feature; KS is for numbers, so a categorical feature falls back to Jensen-Shannon. */
function driftScore(comparison: FeatureComparison, statistic: DriftScoreStatistic): number | null {
  if (statistic === 'psi') return comparison.psi;
  if (statistic === 'ks' && comparison.kind === 'numeric') return comparison.kolmogorovSmirnov?.statistic ?? null;
  return comparison.jensenShannon;
}

const percent = (share: number): string => `${Number((share * 100).toFixed(4))}%`;

/**
 * Scores a window: per feature its drift by `statistic`, its rise in missing values (completeness) and its
 * fall in values of the baseline's type (data type); per column new to the window or absent from it a schema
 * finding. Scores are 0 for "as the baseline" and grow with drift, as the evaluator reads every report.
 */
export function assessWindow(comparison: WindowComparison, statistic: DriftScoreStatistic, drift: DriftConfig): MonitorAssessment {
  const scores: FeatureScore[] = [];
  const violations: ViolationEntry[] = [];
  const thresholdsOf = (feature: string): DriftThresholds => own(drift.featureThresholds, feature) ?? drift.thresholds;
  const absent = new Set(comparison.schema.absentColumns);

  for (const feature of comparison.features) {
    if (absent.has(feature.feature)) continue;
    const medium = thresholdsOf(feature.feature).medium;
    const score = driftScore(feature, statistic);
    if (score !== null && Number.isFinite(score)) {
      const numeric = feature.kind === 'numeric';
      const description = `${numeric ? 'Numerical' : 'Categorical'} distance: ${score} exceeds ${numeric ? 'numerical' : 'categorical'} threshold: ${medium}`;
      scores.push({ feature: feature.feature, score, kind: numeric ? 'numerical-distance' : 'categorical-distance', threshold: medium, detail: description });
      if (score >= medium) violations.push({ feature_name: feature.feature, constraint_check_type: 'baseline_drift_check', description, statistic });
    }
    const { baseline: missingBefore, window: missingNow } = feature.missingRate;
    if (missingBefore !== null && missingNow !== null && missingNow > missingBefore) {
      const description = `Data completeness requirement is not met. Expected completeness: ${percent(1 - missingBefore)}. Observed completeness: ${percent(1 - missingNow)}.`;
      const shortfall = missingNow - missingBefore;
      scores.push({ feature: feature.feature, score: shortfall, kind: 'completeness', threshold: 1 - missingBefore, detail: description });
      if (shortfall >= medium) violations.push({ feature_name: feature.feature, constraint_check_type: 'completeness_check', description });
    }
    const { baseline: typedBefore, window: typedNow } = feature.typeShare;
    if (typedBefore !== null && typedNow !== null && typedNow < typedBefore) {
      const type = feature.kind === 'numeric' ? 'Number' : 'Text';
      const description = `Data type match requirement is not met. Expected data type: ${type}, Expected match: ${percent(typedBefore)}. Observed: Only ${percent(typedNow)} of data is ${type}.`;
      const shortfall = typedBefore - typedNow;
      scores.push({ feature: feature.feature, score: shortfall, kind: 'data-type', threshold: typedBefore, detail: description });
      if (shortfall >= medium) violations.push({ feature_name: feature.feature, constraint_check_type: 'data_type_check', description });
    }
  }
  for (const column of comparison.schema.absentColumns) {
    const description = `Column ${column} of the baseline has no value in the window.`;
    scores.push({ feature: column, score: 1, kind: 'schema-change', detail: `missing_column_check: ${description}` });
    violations.push({ feature_name: column, constraint_check_type: 'missing_column_check', description });
  }
  for (const column of comparison.schema.newColumns) {
    const description = `Column ${column} is not in the baseline.`;
    scores.push({ feature: column, score: 1, kind: 'schema-change', detail: `extra_column_check: ${description}` });
    violations.push({ feature_name: column, constraint_check_type: 'extra_column_check', description });
  }
  return { scores, report: { violations } };
}
