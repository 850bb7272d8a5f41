import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { isRecord } from '../../core/result';
import { HandlerShell } from '../adapters/handler-shell';
import { deployedLaunchers } from '../adapters/launcher';
import { ConfigurationHistory } from '../adapters/configuration-history';
import { configSourceFromEnv, TriggerConfigs } from '../adapters/trigger-configs';
import { matchesPattern } from '../../core/event-pattern';
import { MetricName, MetricService } from '../../core/contracts/metrics';
import { EventStarter, parseReceivedEvent, type EventOutcome } from './event-starter';
import { parseEventTriggerConfig, type EventTriggerConfig } from '../../core/contracts/event-trigger';
import { JoinStore } from './join-store';
import { BurstStore } from './burst-store';
import { Debouncer, type DebounceOutcome } from './debounce';
import { receiveDelayed, type DelayedBatchResult, type DelayedEventsDeps } from './delayed-events';
import { eventDataProblem } from '../../core/typed-events';
import { replayNameOf } from '../../core/event-catch-up';
import { CatchUpGate } from './catch-up-gate';
import { CatchUpStore } from './catch-up-store';
import { ReplayStarter } from './replays';

const shell = new HandlerShell({ serviceName: MetricService.EventTriggers, rejectionMetric: MetricName.EventsRejected, rejectionMessage: 'rejected an event the trigger cannot use' });
const { logger, metrics } = shell;
const dynamodb = new DynamoDBClient({});
const launchers = deployedLaunchers();
const starter = new EventStarter({
  joins: new JoinStore(dynamodb, process.env.JOIN_TABLE_NAME ?? ''),
  launchers,
  now: () => Date.now(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});
const debouncer = new Debouncer({
  bursts: new BurstStore(dynamodb, process.env.JOIN_TABLE_NAME ?? ''),
  launchers,
  now: () => Date.now(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});
const ssm = new SSMClient({});
const configs = new TriggerConfigs<EventTriggerConfig>(ssm, () => configSourceFromEnv(process.env), parseEventTriggerConfig, () => Date.now());
const catchUpGate = new CatchUpGate(new CatchUpStore(dynamodb, process.env.JOIN_TABLE_NAME ?? ''), () => Date.now());
const replays = new ReplayStarter({
  history: new ConfigurationHistory(ssm, () => configSourceFromEnv(process.env)),
  eventbridge: new EventBridgeClient({}),
  now: () => Date.now(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  log: logger,
});
const delayed: DelayedEventsDeps = {
  configs,
  debouncer,
  reject: (error) => shell.reject(error),
  handled: (messageId, outcome) => {
    logger.info('handled a delayed event', { messageId, outcome });
    if (outcome.status === 'started' || outcome.status === 'deferred') metrics.addMetric(MetricName.StartRequests, MetricUnit.Count, 1);
  },
  failed: (messageId, error) => logger.error('could not handle a delayed event; its message comes again', { messageId, error: error as Error }),
};

/**
 * Receives `{ triggerId, event }` from an event trigger's rule. The trigger's configuration is read from
 * what the deployment wrote for it, and the event must match the trigger's rule: an invocation made by
 * anyone else can deliver no event the rule would have dropped.
 */
export const handler = shell.handler(async (input): Promise<EventOutcome | DebounceOutcome | DelayedBatchResult | { status: 'followed'; replays: number }> => {
  // A debounced trigger's delay queue, a quiet period after each event: see ./delayed-events.
  if (isRecord(input) && 'Records' in input) {
    return receiveDelayed(input.Records, delayed);
  }
  // The stack's rule on configuration changes: nothing in the input is read, the replays come from what the deployment wrote.
  if (isRecord(input) && 'configurationChanged' in input) {
    return { status: 'followed', ...(await replays.follow()) };
  }
  if (!isRecord(input)) return shell.reject({ field: 'input', problem: 'must be an object with triggerId and event' });
  const config = await configs.get(input.triggerId);
  if (!config.ok) return shell.reject(config.error);
  const event = parseReceivedEvent(input.event);
  if (!event.ok) return shell.reject(event.error);
  if (!ruleMatches(config.value, input.event)) {
    return shell.reject({ field: 'event', problem: `does not match the event pattern of trigger ${config.value.triggerId}'s rule` });
  }
  metrics.addMetric(MetricName.EventsReceived, MetricUnit.Count, 1);
  // A typed event is checked before anything reads it: one that fails its schema is dropped, never retried.
  const schemaProblem = eventDataProblem(config.value.schemas, event.value.name, event.value.detail);
  if (schemaProblem) {
    metrics.addMetric(MetricName.EventsFailingSchema, MetricUnit.Count, 1);
    return shell.reject(schemaProblem);
  }
  // A catching-up trigger handles an event once, live or replayed, and at most its bound of each replay.
  const replay = replayNameOf(input.event);
  const gate = await catchUpGate.before(config.value, event.value, replay);
  if (!gate.pass) {
    logger.info('dropped an event the catch-up already handled or could not take', { triggerId: config.value.triggerId, eventId: event.value.id, ...gate });
    return { status: 'unchanged' };
  }
  const outcome = config.value.debounceSeconds === undefined
    ? await starter.handle(config.value, event.value, { replayed: replay !== undefined })
    : await debouncer.record(config.value, event.value);
  await catchUpGate.after(config.value, event.value);
  if (outcome.status === 'rejected') return shell.reject(outcome.error);
  logger.info('handled an event', { triggerId: config.value.triggerId, event: event.value.name, eventId: event.value.id, outcome });
  if (outcome.status === 'started' || outcome.status === 'deferred') {
    metrics.addMetric(MetricName.StartRequests, MetricUnit.Count, 1);
    metrics.addMetric(MetricName.EventToStartLatency, MetricUnit.Milliseconds, Math.max(0, Date.now() - event.value.atMs));
  }
  return outcome;
});

function ruleMatches(config: EventTriggerConfig, event: unknown): boolean {
  try {
    return matchesPattern(config.pattern, event);
  } catch {
    return false; // nested past the stack's depth, or a pattern outside what the rules use
  }
}
