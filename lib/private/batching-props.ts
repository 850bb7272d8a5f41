import { manifestFilterProblem } from '../../lambda/core/batching';
import { BATCH_DEFAULTS, BATCH_LIMITS } from '../../lambda/core/contracts/batch';
import { pipelineParameters } from '../../lambda/core/pipeline-parameters';
import { validateIntegerInRange } from './validation';

/** The batching props the Google and Azure data-arrival triggers share, beside their batch size and window. */
export interface BatchingProps {
  readonly maxStartAttempts?: number;
  readonly parameters?: { readonly [name: string]: string };
  readonly manifestPrefix?: string;
  readonly prefix?: string;
  readonly suffix?: string;
}

/**
 * Checks those props against the batcher's contract (the same limits and defaults as on AWS) and answers the values
 * with their defaults; an error names the prop, the value and the fix.
 */
export function checkedBatchingProps(props: BatchingProps): { readonly maxStartAttempts: number; readonly manifestPrefix: string } {
  const maxStartAttempts = props.maxStartAttempts ?? BATCH_DEFAULTS.maxStartAttempts;
  validateIntegerInRange('maxStartAttempts', maxStartAttempts, 1, BATCH_LIMITS.maxStartAttempts);
  const parameters = pipelineParameters(props.parameters ?? {});
  if (!parameters.ok) throw new Error(`${parameters.error.field} ${parameters.error.problem}`);
  const manifestPrefix = props.manifestPrefix ?? BATCH_DEFAULTS.manifestPrefix;
  if (manifestPrefix !== '' && !manifestPrefix.endsWith('/')) throw new Error(`manifestPrefix must be empty or end with '/', got '${manifestPrefix}'`);
  const problem = manifestFilterProblem(props.prefix, props.suffix);
  if (problem) throw new Error(problem);
  return { maxStartAttempts, manifestPrefix };
}
