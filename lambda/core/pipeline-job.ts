import { canonicalJson, sha256 } from './batching';
import { pipelineParameters } from './pipeline-parameters';
import { accept, type Parsed } from './result';

/**
 * pipelineJobs.create's rule for pipelineJobId ("less than 128 characters, valid characters are [a-z][0-9]-"),
 * with the leading letter that resource ids need.
 */
export const PIPELINE_JOB_ID_PATTERN = /^[a-z][a-z0-9-]{0,126}$/;

/** What started a job; also its `ml-trigger-type` label. */
export type TriggerKind = 'scheduled' | 'drift' | 'chain';

/** The one letter of a kind in a job id; existing letters never change, as they are part of every id made before. */
const KIND_LETTER: Readonly<Record<TriggerKind, string>> = { scheduled: 's', drift: 'd', chain: 'c' };

/**
 * The job id for one firing of a trigger: a readable prefix from the trigger id, then 128 bits of a hash of the
 * trigger, the kind and the event's identity. The same event always gives the same id, so a redelivered event
 * meets HTTP 409 ALREADY_EXISTS instead of starting a second run.
 */
export function pipelineJobId(triggerId: string, kind: TriggerKind, eventIdentity: readonly string[]): string {
  const digest = sha256(canonicalJson([triggerId, kind, ...eventIdentity])).slice(0, 32);
  const slug = triggerId.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 48).replace(/-+$/, '');
  return `${slug || 'trigger'}-${KIND_LETTER[kind]}-${digest}`;
}

/** Labels that find a trigger's jobs: keys and values of lowercase letters, digits, - and _, at most 63 characters. */
export function jobLabels(triggerId: string, kind: TriggerKind): Record<string, string> {
  const value = triggerId.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
  return { 'ml-trigger-id': value, 'ml-trigger-type': kind };
}

/**
 * runtimeConfig.parameterValues: the trigger's static parameters, then the event's (later ones win), checked against
 * the limits the SageMaker triggers use (at most 200 names of 1-256 letters, digits, - and _; values of 1-1024
 * characters). Vertex takes any JSON value; keeping the SageMaker limits means one trigger config fits both clouds.
 */
export function parameterValues(...maps: ReadonlyArray<Readonly<Record<string, string>>>): Parsed<Record<string, string>> {
  const parameters = pipelineParameters(...maps);
  if (!parameters.ok) return parameters;
  return accept(Object.fromEntries(parameters.value.map((p) => [p.Name, p.Value])));
}
