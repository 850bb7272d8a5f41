import { accept, reject, type Parsed } from './result';

/** SageMaker's limits on a pipeline execution's parameters (StartPipelineExecution API reference). */
export const PIPELINE_PARAMETER_LIMITS = {
  maxCount: 200,
  maxNameLength: 256,
  namePattern: /^[A-Za-z0-9\-_]+$/,
  maxValueLength: 1024,
} as const;

/** A pipeline parameter as StartPipelineExecution takes it. */
export interface PipelineParameter {
  readonly Name: string;
  readonly Value: string;
}

/**
 * Merges parameter maps (later ones win), checks the result against SageMaker's limits and returns
 * it sorted by name, so that the same inputs always give the same request.
 */
export function pipelineParameters(...maps: ReadonlyArray<Readonly<Record<string, string>>>): Parsed<PipelineParameter[]> {
  const merged: Record<string, string> = Object.assign({}, ...maps);
  const names = Object.keys(merged).sort();
  if (names.length > PIPELINE_PARAMETER_LIMITS.maxCount) {
    return reject('parameters', `holds ${names.length} parameters, SageMaker takes at most ${PIPELINE_PARAMETER_LIMITS.maxCount}`);
  }
  for (const name of names) {
    if (name.length > PIPELINE_PARAMETER_LIMITS.maxNameLength || !PIPELINE_PARAMETER_LIMITS.namePattern.test(name)) {
      return reject(`parameters.${name}`, 'is not a valid pipeline parameter name: use 1-256 letters, digits, - and _');
    }
    const value = merged[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > PIPELINE_PARAMETER_LIMITS.maxValueLength) {
      return reject(`parameters.${name}`, `must be a string of 1-${PIPELINE_PARAMETER_LIMITS.maxValueLength} characters`);
    }
  }
  return accept(names.map((name) => ({ Name: name, Value: merged[name] })));
}
