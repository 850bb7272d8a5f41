import { Token } from 'aws-cdk-lib';
import { thresholdsProblem, type DriftThresholds } from '../../lambda/core/contracts/drift';
import { DRIFT_MONITOR_DEFAULTS, DRIFT_MONITOR_LIMITS, FEATURE_NAME } from '../../lambda/core/contracts/drift-monitor';
import type { DriftMonitorProps } from '../drift-monitor';

/** Checks a drift monitor's props at synth, naming the prop, the value and the limit; tokens are left to deployment. */
export function validateDriftMonitorProps(props: DriftMonitorProps): void {
  if (props.features.length === 0 || props.features.length > DRIFT_MONITOR_LIMITS.maxFeatures) {
    throw new Error(`features must name 1 to ${DRIFT_MONITOR_LIMITS.maxFeatures} features, got ${props.features.length}`);
  }
  for (const feature of [...props.features, ...(props.outputName ? [props.outputName] : [])]) {
    if (!Token.isUnresolved(feature) && !FEATURE_NAME.test(feature)) throw new Error(`feature '${feature}' must match ${FEATURE_NAME}`);
  }
  if (new Set(props.features).size !== props.features.length) throw new Error('features must name each feature once');
  const prefix = props.capturePrefix ?? '';
  if (!Token.isUnresolved(prefix) && prefix !== '' && !prefix.endsWith('/')) throw new Error(`capturePrefix must be empty or end with '/', got '${prefix}'`);
  const bins = props.bins ?? DRIFT_MONITOR_DEFAULTS.bins;
  if (!Token.isUnresolved(bins) && (!Number.isInteger(bins) || bins < DRIFT_MONITOR_LIMITS.bins.min || bins > DRIFT_MONITOR_LIMITS.bins.max)) {
    throw new Error(`bins must be a whole number from ${DRIFT_MONITOR_LIMITS.bins.min} to ${DRIFT_MONITOR_LIMITS.bins.max}, got ${bins}`);
  }
  const bytes = props.bytesPerInvocation?.toBytes() ?? DRIFT_MONITOR_DEFAULTS.bytesPerInvocation;
  const { min, max } = DRIFT_MONITOR_LIMITS.bytesPerInvocation;
  if (bytes < min || bytes > max) {
    throw new Error(`bytesPerInvocation must be from ${min / 1024 ** 2} MiB to ${max / 1024 ** 3} GiB, got ${bytes} bytes`);
  }
  if (props.captureDelay !== undefined && !props.captureDelay.isUnresolved()) {
    const ms = props.captureDelay.toMilliseconds({ integral: false });
    const { min, max } = DRIFT_MONITOR_LIMITS.captureDelayMs;
    if (ms < min || ms > max || ms % 60_000 !== 0) throw new Error(`captureDelay must be whole minutes from 0 to 60, got ${props.captureDelay.toHumanString()}`);
  }
  const named: Array<[string, DriftThresholds | undefined]> = [['thresholds', props.thresholds], ...Object.entries(props.featureThresholds ?? {}).map(([f, t]): [string, DriftThresholds] => [`featureThresholds.${f}`, t])];
  for (const [name, thresholds] of named) {
    const problem = thresholds ? thresholdsProblem(thresholds) : undefined;
    if (problem) throw new Error(`${name} ${problem}`);
  }
}
