import { CHAIN_STATUSES, parseAzureChainSettings, type AzureChainSettings, type ChainStatus } from '../../core/contracts/azure-functions';
import { jobLabels, parameterValues, pipelineJobId } from '../../core/pipeline-job';
import { accept, describe, reject, requiredString, type Parsed } from '../../core/result';
import type { AzureMLJobs } from '../adapters/azure-ml-jobs';
import { parseEventGridEvent, sameArmId, type EventGridEvent } from '../adapters/event-grid';
import { log, misconfigured, rejected, settingsFromEnv, submissionFailed, type Outcome } from '../adapters/functions-host';

/** What the chain handler needs from outside: where jobs go, and its settings (TRIGGER_SETTINGS by default). */
export interface ChainDeps {
  readonly jobs: Pick<AzureMLJobs, 'submit'>;
  readonly settings?: () => Parsed<AzureChainSettings>;
}

export const RUN_COMPLETED = 'Microsoft.MachineLearningServices.RunCompleted';
export const RUN_STATUS_CHANGED = 'Microsoft.MachineLearningServices.RunStatusChanged';
const MAX_TEXT = 1024;

/** The run an upstream workspace event is about (https://learn.microsoft.com/azure/event-grid/event-schema-machine-learning). */
export interface UpstreamRun {
  readonly experimentName: string;
  readonly runId: string;
  /**
   * RunCompleted is `Completed`; RunStatusChanged's `runStatus` as sent. The documented sample writes it in lowercase
   * (`"failed"`), so it is matched to {@link CHAIN_STATUSES} without regard to case.
   */
  readonly status: string;
  /** The status as a chain status, when it is one. */
  readonly chainStatus?: ChainStatus;
}

/** Reads the run from a RunCompleted or RunStatusChanged event's data, naming the field (`event.data.runId`). */
export function parseUpstreamRun(event: EventGridEvent): Parsed<UpstreamRun> {
  const strings: Record<string, string> = {};
  for (const name of ['experimentName', 'runId'] as const) {
    const value = requiredString(event.data, name, `event.data.${name}`);
    if (!value.ok) return value;
    if (value.value.length > MAX_TEXT) return reject(`event.data.${name}`, `must be at most ${MAX_TEXT} characters, got ${value.value.length}`);
    strings[name] = value.value;
  }
  let status = 'Completed';
  if (event.eventType === RUN_STATUS_CHANGED) {
    const runStatus = event.data.runStatus;
    if (typeof runStatus !== 'string' || runStatus === '' || runStatus.length > 64) {
      return reject('event.data.runStatus', `must be the run's status, got ${describe(runStatus)}`);
    }
    status = runStatus;
  }
  const chainStatus = CHAIN_STATUSES.find((known) => known.toLowerCase() === status.toLowerCase());
  return accept({ experimentName: strings.experimentName, runId: strings.runId, status, ...(chainStatus ? { chainStatus } : {}) });
}

/**
 * Event Grid (an Azure ML workspace's system topic) -> this function: chains a pipeline on another one's runs. An event
 * from any topic but the upstream workspace is rejected. From the upstream workspace, a RunCompleted (status
 * Completed) or RunStatusChanged event of a listed experiment with a listed status submits one job; anything else is
 * ignored with the reason. The job's name comes from the upstream workspace, run and status, not from the event, so
 * the RunCompleted and the RunStatusChanged(Completed) of one completion, and every redelivery of either, meet one job.
 */
export function chainHandler(deps: ChainDeps): (event: unknown, invocationId: string) => Promise<Outcome> {
  const readSettings = deps.settings ?? (() => settingsFromEnv('TRIGGER_SETTINGS', parseAzureChainSettings));
  return async (input, invocationId) => {
    const settings = readSettings();
    if (!settings.ok) return misconfigured(settings.error);
    const trigger = settings.value;
    const upstream = trigger.upstream;
    const event = parseEventGridEvent(input);
    if (!event.ok) return rejected(event.error, { triggerId: trigger.triggerId, invocationId, correlationId: invocationId, reason: 'not an Event Grid event' });
    const context = { triggerId: trigger.triggerId, invocationId, correlationId: event.value.id, eventType: event.value.eventType, subject: event.value.subject };
    if (!sameArmId(event.value.topic, upstream.workspaceId)) {
      return rejected({ field: 'event.topic', problem: `is '${event.value.topic.slice(0, 300)}', but this trigger's upstream workspace is '${upstream.workspaceId}'` }, { ...context, reason: 'a foreign topic' });
    }
    if (event.value.eventType !== RUN_COMPLETED && event.value.eventType !== RUN_STATUS_CHANGED) {
      return ignored(`${event.value.eventType} is not a run's completion or status change`, context);
    }
    const run = parseUpstreamRun(event.value);
    if (!run.ok) return rejected(run.error, { ...context, reason: 'not a run event' });
    const about = { ...context, upstreamRunId: run.value.runId, upstreamExperiment: run.value.experimentName, upstreamStatus: run.value.status };
    if (!upstream.experimentNames.includes(run.value.experimentName)) {
      return ignored(`experiment '${run.value.experimentName}' is not one of ${upstream.experimentNames.join(', ')}`, about);
    }
    const status = run.value.chainStatus;
    if (status === undefined || !upstream.statuses.includes(status)) {
      return ignored(`status '${run.value.status}' is not one of ${upstream.statuses.join(', ')}`, about);
    }

    const parameters = parameterValues(trigger.parameters, { UpstreamRunId: run.value.runId, UpstreamExperiment: run.value.experimentName, UpstreamStatus: status });
    if (!parameters.ok) return rejected({ field: 'event.data.runId', problem: `cannot be a pipeline parameter: ${parameters.error.field} ${parameters.error.problem}` }, { ...about, reason: 'parameters out of bounds' });
    const name = pipelineJobId(trigger.triggerId, 'chain', [upstream.workspaceId.toLowerCase(), run.value.runId, status]);
    const reason = `run '${run.value.runId}' of '${run.value.experimentName}' is ${status}`;
    try {
      const job = await deps.jobs.submit(trigger, { name, parameters: parameters.value, tags: jobLabels(trigger.triggerId, 'chain'), correlationId: event.value.id });
      const decision = job.alreadyExisted ? 'already-existed' : 'created';
      log('INFO', `${reason}: ${decision === 'created' ? 'submitted' : 'met'} pipeline job ${job.name}`, { ...about, decision, reason, pipelineJob: job.name, pipelineJobArmId: job.id });
      return { status: decision, pipelineJob: job.name, pipelineJobArmId: job.id, parameters: parameters.value };
    } catch (error) {
      return submissionFailed(error, { ...about, reason, pipelineJob: name });
    }
  };
}

function ignored(reason: string, context: Readonly<Record<string, unknown>>): Outcome {
  log('INFO', `ignored: ${reason}`, { ...context, decision: 'ignored', reason });
  return { status: 'ignored', reason };
}
