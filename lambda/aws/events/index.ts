import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { isRecord } from '../../core/result';
import { HandlerShell } from '../adapters/handler-shell';
import { deployedLaunchers } from '../adapters/launcher';
import { configSourceFromEnv, TriggerConfigs } from '../adapters/trigger-configs';
import { matchesPattern } from '../../core/event-pattern';
import { MetricName, MetricService } from '../../core/contracts/metrics';
import { EventStarter, parseReceivedEvent, type EventOutcome } from './event-starter';
import { parseEventTriggerConfig, type EventTriggerConfig } from '../../core/contracts/event-trigger';
import { JoinStore } from './join-store';

const shell = new HandlerShell({ serviceName: MetricService.EventTriggers, rejectionMetric: MetricName.EventsRejected, rejectionMessage: 'rejected an event the trigger cannot use' });
const { logger, metrics } = shell;
const starter = new EventStarter({
  joins: new JoinStore(new DynamoDBClient({}), process.env.JOIN_TABLE_NAME ?? ''),
  launchers: deployedLaunchers(),
  now: () => Date.now(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});
const configs = new TriggerConfigs<EventTriggerConfig>(new SSMClient({}), () => configSourceFromEnv(process.env), parseEventTriggerConfig, () => Date.now());

/**
 * Receives `{ triggerId, event }` from an event trigger's rule. The trigger's configuration is read from
 * what the deployment wrote for it, and the event must match the trigger's rule: an invocation made by
 * anyone else can deliver no event the rule would have dropped.
 */
export const handler = shell.handler(async (input): Promise<EventOutcome> => {
  if (!isRecord(input)) return shell.reject({ field: 'input', problem: 'must be an object with triggerId and event' });
  const config = await configs.get(input.triggerId);
  if (!config.ok) return shell.reject(config.error);
  const event = parseReceivedEvent(input.event);
  if (!event.ok) return shell.reject(event.error);
  if (!ruleMatches(config.value, input.event)) {
    return shell.reject({ field: 'event', problem: `does not match the event pattern of trigger ${config.value.triggerId}'s rule` });
  }
  metrics.addMetric(MetricName.EventsReceived, MetricUnit.Count, 1);
  const outcome = await starter.handle(config.value, event.value);
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
