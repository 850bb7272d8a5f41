import { Duration, Token } from 'aws-cdk-lib';
import { manifestFilterProblem } from '../../lambda/core/batching';
import { BATCH_DEFAULTS, BATCH_LIMITS, type BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { PRIORITY_LIMITS, TRIGGER_ID, TRIGGER_ID_RULE, type StartRoute } from '../../lambda/core/contracts/shared';
import type { DataArrivalTriggerProps } from '../data-arrival-trigger';
import { arrivalCalendarConfig } from './arrival-calendar';
import { catchUpConfig } from './config-change-rule';
import { validateDurationInRange, validateIntegerInRange, validatePipelineParameters } from './validation';

/** A data-arrival trigger's configuration, as its construct writes it for the batcher. */
export function triggerConfig(triggerId: string, pipelineName: string, props: DataArrivalTriggerProps, route: StartRoute): BatchTriggerConfig {
  return {
    triggerId,
    pipelineName,
    source: {
      bucket: props.bucket.bucketName,
      ...(props.prefix !== undefined ? { prefix: props.prefix } : {}),
      ...(props.suffix !== undefined ? { suffix: props.suffix } : {}),
    },
    batchSize: props.batchSize ?? BATCH_DEFAULTS.batchSize,
    batchWindowSeconds: props.batchWindow?.toSeconds() ?? BATCH_DEFAULTS.batchWindowSeconds,
    manifestBucket: (props.manifestBucket ?? props.bucket).bucketName,
    manifestPrefix: props.manifestPrefix ?? BATCH_DEFAULTS.manifestPrefix,
    manifestParameterName: props.manifestParameterName ?? BATCH_DEFAULTS.manifestParameterName,
    countParameterName: props.countParameterName ?? BATCH_DEFAULTS.countParameterName,
    parameters: props.parameters ?? {},
    maxStartAttempts: props.maxStartAttempts ?? BATCH_DEFAULTS.maxStartAttempts,
    ...arrivalCalendarConfig(props),
    ...route,
    ...(props.enabled === false ? { enabled: false } : {}),
    ...catchUpConfig(props.whenReEnabled, props.batchSize ?? BATCH_DEFAULTS.batchSize),
  };
}

export function validateDataArrivalProps(props: DataArrivalTriggerProps, config: BatchTriggerConfig): void {
  if (!TRIGGER_ID.test(config.triggerId)) {
    throw new Error(`triggerId ${TRIGGER_ID_RULE}, got '${config.triggerId}'`);
  }
  validateIntegerInRange('batchSize', config.batchSize, 1, BATCH_LIMITS.maxBatchSize);
  if (props.batchWindow) {
    validateDurationInRange('batchWindow', props.batchWindow, Duration.seconds(BATCH_LIMITS.minWindowSeconds), Duration.seconds(BATCH_LIMITS.maxWindowSeconds));
  }
  validateIntegerInRange('maxStartAttempts', config.maxStartAttempts, 1, BATCH_LIMITS.maxStartAttempts);
  if (props.priority !== undefined) validateIntegerInRange('priority', props.priority, PRIORITY_LIMITS.min, PRIORITY_LIMITS.max);
  validatePipelineParameters(config.parameters);
  for (const [prop, name] of [['manifestParameterName', config.manifestParameterName], ['countParameterName', config.countParameterName]] as const) {
    validatePipelineParameters({ [name]: 'x' }, prop);
    if (name in config.parameters) {
      throw new Error(`parameters.${name} collides with ${prop}: the batcher sets ${name} itself; rename one of them`);
    }
  }
  if (config.manifestPrefix !== '' && !config.manifestPrefix.endsWith('/')) {
    throw new Error(`manifestPrefix must be empty or end with '/', got '${config.manifestPrefix}'`);
  }
  for (const [prop, value] of [['prefix', props.prefix], ['suffix', props.suffix]] as const) {
    if (value !== undefined && !Token.isUnresolved(value) && value.length === 0) {
      throw new Error(`${prop} must not be empty: leave it out to match every key`);
    }
  }
  const literal = (value: string | undefined) => (value !== undefined && !Token.isUnresolved(value) ? value : undefined);
  const problem = manifestFilterProblem(literal(props.prefix), literal(props.suffix));
  if (problem) throw new Error(problem);
}
