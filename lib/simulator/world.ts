import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agenda, AgendaItem } from './agenda';
import type { VirtualClock } from './clock';
import type { StartedRun } from './endpoints';
import type { ReplayRequest } from './endpoints/event-replays';
import { isTriggerSwitch, type AlarmInput, type SimulationInput } from './events-file';
import { firingDecisions, type FiringAnswer } from './firing-answers';
import type { FunctionHost, InvocationOutcome } from './function-host';
import type { SimulatedAlarm, SimulatedFunction, SimulatedRule, SimulatedStack } from './model';
import {
  alarmNotification, alarmStateChangeEvent, alarmTransition, eventsFor, matchRules, pipelineSucceededEvent, snsRecord, stableUuid,
  type DeliveryContext, type EventBridgeEvent,
} from './routing';
import { Queues } from './queues';
import { Redeployments } from './redeploy';
import { EventArchive } from './event-archive';
import { scheduledInput } from './schedules';
import type { Services } from './services';
import type { TimelineParts } from './timeline';

/** The parts of a handler's answer the timeline shows. */
interface HandlerAnswer extends FiringAnswer {
  readonly status?: string;
  readonly error?: { readonly field?: string; readonly problem?: string };
  readonly problem?: string;
  readonly assessment?: { readonly severity: string; readonly action: string; readonly recommendation: string };
  readonly notified?: readonly string[];
}

/** The pipeline a function's settings name, for the timeline; `-` for a function that serves several. */
function pipelineOf(fn: SimulatedFunction): string {
  const settings = fn.environment.DRIFT_SETTINGS;
  if (!settings) return '-';
  const parsed = JSON.parse(settings) as { pipelineName?: unknown };
  return typeof parsed.pipelineName === 'string' ? parsed.pipelineName : '-';
}

type Item<K extends keyof TimelineParts> = NonNullable<TimelineParts[K]>[number];

/** What the world saw happen, in the timeline's terms. */
export interface Recorded {
  readonly runs: Item<'runs'>[];
  readonly decisions: Item<'decisions'>[];
  readonly nothingListens: Item<'nothingListens'>[];
  readonly errors: Item<'errors'>[];
}

export interface WorldProps {
  readonly stacks: readonly SimulatedStack[];
  readonly services: Services;
  readonly host: FunctionHost;
  readonly agenda: Agenda;
  readonly clock: VirtualClock;
  readonly recorded: Recorded;
  readonly region: string;
  readonly account: string;
  readonly baseDir: string;
  readonly onInvoke?: (functionName: string, payload: unknown) => void;
}

const CORRELATION = /\[correlation ([^\]]+)\]$/;
/**
 * The trigger type a correlation id names (`evt:event#...`), for runs started without a coordinator; a run with
 * neither a type nor a correlation id was started by a schedule's own SageMaker target.
 */
const TRIGGER_OF_CORRELATION: Readonly<Record<string, string>> = { sched: 'scheduled', batch: 'data-arrival', drift: 'drift', evt: 'event' };
/** The target ARN of a Scheduler schedule that starts a pipeline itself (a universal target). */
const START_PIPELINE_TARGET = /^arn:aws[\w-]*:scheduler:::aws-sdk:sagemaker:startPipelineExecution$/;
/** The target ARN of a Scheduler schedule whose target is a SageMaker pipeline (a templated target). */
const PIPELINE_TARGET = /^arn:aws[\w-]*:sagemaker:[a-z0-9-]*:\d{12}:pipeline\/.+$/;

/** Where events go: the app's rules, functions, topics and queues, run against the local services, one thing at a time. */
export class World {
  invocations = 0;
  /** The app's queues and the pollers that read them. */
  readonly queues: Queues;
  private readonly functions = new Map<string, SimulatedFunction>();
  private readonly rules: SimulatedRule[];
  private readonly alarms: SimulatedAlarm[];
  private readonly context: DeliveryContext;
  private readonly buckets = new Set<string>();
  private readonly redeployments: Redeployments;
  /** What the archives of the app's buses would keep, and the replays started from them. */
  private readonly archive = new EventArchive();
  /** The line being simulated: a run it starts fails when the line says so. */
  private cause: SimulationInput | undefined;

  constructor(private readonly props: WorldProps) {
    for (const fn of props.stacks.flatMap((stack) => stack.functions)) {
      this.functions.set(fn.functionName, fn);
      this.functions.set(fn.functionArn, fn);
    }
    this.rules = props.stacks.flatMap((stack) => stack.rules);
    this.alarms = props.stacks.flatMap((stack) => stack.alarms);
    this.context = { account: props.account, region: props.region };
    this.queues = new Queues({ ...props, errors: props.recorded.errors, invoke: (fn, payload) => this.run(fn, payload) });
    this.redeployments = new Redeployments(props.stacks, this.rules, {
      putParameter: (name, value) => props.services.ssm.put(name, value),
      setEnvironment: (functionName, variables) => props.host.setEnvironment(functionName, variables),
    }, this.context, props.services.environment.AWS_ENDPOINT_URL_S3);
  }

  async happen(item: AgendaItem): Promise<void> {
    if (item.kind === 'schedule' && !this.redeployments.scheduleEnabled(item.schedule)) return;
    if (item.kind === 'line') {
      this.cause = item.input;
      try {
        await this.line(item.input);
      } finally {
        this.cause = undefined;
      }
    } else if (item.kind === 'schedule' && PIPELINE_TARGET.test(item.schedule.targetArn)) {
      // Scheduler's SageMaker target: it starts the pipeline itself, with the target's parameters, one token per firing.
      await this.startDirectly({
        PipelineName: item.schedule.targetArn,
        PipelineParameters: item.schedule.pipelineParameters ?? [],
        ClientRequestToken: stableUuid(`schedule#${item.schedule.logicalId}#${item.atMs}`),
      });
    } else if (item.kind === 'schedule') {
      const input = scheduledInput(item.schedule.input, item.atMs, item.schedule, `arn:aws:scheduler:${this.props.region}:${this.props.account}:schedule/default/${item.schedule.logicalId}`);
      await this.deliver(item.schedule.targetArn, JSON.parse(input) as unknown, `schedule ${item.schedule.logicalId}`);
    } else if (item.kind === 'poll') {
      await this.queues.poll(item.queueArn);
    } else if (this.finished(item)) {
      await this.onBus('default', pipelineSucceededEvent(item.pipelineName, item.atMs, this.context, item.executionArn, item.startedAtMs));
    }
  }

  /** A run's end, as ListPipelineExecutions reports it from then on; whether it succeeded. */
  private finished(item: Extract<AgendaItem, { kind: 'finished' }>): boolean {
    this.props.services.sagemaker.setStatus(item.executionArn, item.status);
    return item.status === 'Succeeded';
  }

  private async line(input: SimulationInput): Promise<void> {
    const at = { atMs: input.atMs, line: input.line };
    if (input.kind === 's3') {
      await this.ensureBucket(input.bucket);
      await this.redeployments.landed(input);
      const heard = await this.deliverAll(eventsFor(input, this.context));
      if (!heard) this.props.recorded.nothingListens.push({ ...at, what: `s3://${input.bucket}/${input.key}` });
    } else if (input.kind === 'event') {
      const buses = [...new Set(this.rules.map((rule) => rule.eventBusName).filter((bus) => bus !== 'default'))];
      let heard = false;
      for (const bus of buses) heard = (await this.deliverAll(eventsFor(input, { ...this.context, triggerBusName: bus }))) || heard;
      if (!heard) this.props.recorded.nothingListens.push({ ...at, what: `event ${input.name}` });
    } else if (input.kind === 'alarm') {
      if (!(await this.alarm(input))) this.props.recorded.nothingListens.push({ ...at, what: `alarm ${input.name}` });
    } else if (input.kind === 'pipelineSucceeded') {
      const heard = await this.onBus('default', pipelineSucceededEvent(input.pipeline, input.atMs, this.context, `line#${input.line}`));
      if (!heard) this.props.recorded.nothingListens.push({ ...at, what: `success of pipeline ${input.pipeline}` });
    } else if (isTriggerSwitch(input)) {
      const { found, change } = this.redeployments.switchTrigger(input);
      if (change) await this.onBus('default', change);
      // The replays the change started (an event trigger's catch-up) deliver what the archive kept.
      await this.replay();
      if (!found) this.props.recorded.nothingListens.push({ ...at, what: `${input.kind}: no trigger ${input.triggerId} in the app` });
    } else {
      const coordinators = [...new Set(this.functions.values())].filter((fn) => fn.environment.COORDINATOR_POLICY !== undefined);
      let answered = false;
      for (const fn of coordinators) {
        const result = (await this.invoke(fn, { action: input.kind, pipelineName: input.pipeline, requestId: input.request })) as { reason?: string } | undefined;
        answered = answered || result?.reason === 'approved' || result?.reason === 'started' || result?.reason === 'rejected';
      }
      if (!answered) this.props.recorded.nothingListens.push({ ...at, what: `${input.kind}: no run of ${input.pipeline} waits for approval under request ${input.request}` });
    }
  }

  /** An alarm's transition: its notification to the topics of its actions, and its state-change event. */
  private async alarm(input: AlarmInput): Promise<boolean> {
    const alarm = this.alarms.find((candidate) => [candidate.alarmName, candidate.logicalId, candidate.path].includes(input.name));
    if (!alarm) return this.onBus('default', alarmStateChangeEvent(alarmTransition(input, this.context), this.context));
    const spec = {
      ...alarmTransition(input, this.context),
      alarmName: alarm.alarmName,
      alarmArn: alarm.alarmArn,
      alarmActions: alarm.alarmActions,
      okActions: alarm.okActions,
      ...(alarm.metric ? { metric: { ...alarm.metric, dimensions: alarm.dimensions } } : {}),
    };
    if (input.report !== undefined) await this.placeReport(alarm, input);
    const { subject, message } = alarmNotification(spec, this.context);
    let heard = false;
    for (const topicArn of input.state === 'ALARM' ? alarm.alarmActions : alarm.okActions) heard = (await this.publish(topicArn, message, subject)) || heard;
    return (await this.onBus('default', alarmStateChangeEvent(spec, this.context))) || heard;
  }

  /** A Model Monitor report, where the drift functions read the newest one before the alarm. */
  private async placeReport(alarm: SimulatedAlarm, input: AlarmInput): Promise<void> {
    const endpoint = alarm.dimensions.Endpoint;
    const schedule = alarm.dimensions.MonitoringSchedule;
    const body = fs.readFileSync(path.resolve(this.props.baseDir, input.report!), 'utf8');
    const hour = new Date(input.atMs).toISOString();
    for (const fn of new Set(this.functions.values())) {
      const settings = fn.environment.DRIFT_SETTINGS ? (JSON.parse(fn.environment.DRIFT_SETTINGS) as { monitoringOutput?: { bucket: string; prefix: string } }) : undefined;
      const output = settings?.monitoringOutput;
      if (!output || endpoint === undefined || schedule === undefined) continue;
      const key = `${output.prefix}${endpoint}/${schedule}/${hour.slice(0, 4)}/${hour.slice(5, 7)}/${hour.slice(8, 10)}/${hour.slice(11, 13)}/constraint_violations.json`;
      await this.ensureBucket(output.bucket);
      const response = await fetch(`${this.props.services.environment.AWS_ENDPOINT_URL_S3}/${output.bucket}/${key}`, { method: 'PUT', body });
      if (!response.ok) throw new Error(`cannot place the report of line ${input.line} at s3://${output.bucket}/${key}: HTTP ${response.status}`);
    }
  }

  /** Publishes to a topic: each subscribed function gets the notification. Whether anything listened. */
  async publish(topicArn: string, message: string, subject: string | undefined): Promise<boolean> {
    const topic = this.props.stacks.flatMap((stack) => stack.topics).find((candidate) => candidate.topicArn === topicArn);
    const now = this.props.clock.now();
    for (const functionArn of topic?.functionSubscriptions ?? []) {
      await this.deliver(functionArn, snsRecord(topicArn, message, subject, now, stableUuid(`sns#${topicArn}#${now}#${message}`)), `topic ${topicArn}`);
    }
    return (topic?.functionSubscriptions.length ?? 0) > 0;
  }

  private async deliverAll(deliveries: readonly { busName: string; event: EventBridgeEvent }[]): Promise<boolean> {
    let heard = false;
    for (const { busName, event } of deliveries) heard = (await this.onBus(busName, event)) || heard;
    return heard;
  }

  /** Delivers the replays started so far: each archived event of its window, with its name, to the rules it names alone. */
  private async replay(): Promise<void> {
    for (const { busName, event, ruleArns } of this.archive.takeReplayed()) {
      const rules = this.rules.filter((rule) => rule.ruleArn !== undefined && ruleArns.includes(rule.ruleArn));
      for (const match of matchRules(rules, busName, event)) await this.deliver(match.target.arn, match.input, `replay to rule ${match.rule.logicalId}`);
    }
  }

  private async onBus(busName: string, event: EventBridgeEvent): Promise<boolean> {
    this.archive.keep(busName, event);
    const matches = matchRules(this.rules, busName, event);
    for (const match of matches) await this.deliver(match.target.arn, match.input, `rule ${match.rule.logicalId}`);
    return matches.length > 0;
  }

  /** Delivers to a target ARN: a function, a queue, or a pipeline a schedule starts itself; anything else is not simulated. */
  private async deliver(arn: string, payload: unknown, from: string): Promise<void> {
    const fn = this.functions.get(arn);
    if (fn) await this.invoke(fn, payload);
    // EventBridge sends a queue the event (or the target's input) as the message's body.
    else if (this.queues.has(arn)) this.queues.send(arn, typeof payload === 'string' ? payload : JSON.stringify(payload), from);
    else if (START_PIPELINE_TARGET.test(arn)) await this.startDirectly(payload as Record<string, unknown>);
    else if (this.props.stacks.some((stack) => stack.topics.some((topic) => topic.topicArn === arn))) {
      // EventBridge sends a topic the event (or the target's input) as the message's text.
      await this.publish(arn, typeof payload === 'string' ? payload : JSON.stringify(payload), undefined);
    }
  }

  /** What Scheduler's universal target does: StartPipelineExecution with the schedule's input as the request. */
  private async startDirectly(request: Record<string, unknown>): Promise<void> {
    const response = await fetch(this.props.services.environment.AWS_ENDPOINT_URL_SAGEMAKER, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'SageMaker.StartPipelineExecution' },
      body: JSON.stringify(request),
    });
    if (!response.ok) this.recordError('scheduler', `StartPipelineExecution answered HTTP ${response.status}: ${await response.text()}`);
  }

  /** Runs a function; a thrown error is recorded, never raised. Its result, or undefined when it threw. */
  async invoke(fn: SimulatedFunction, payload: unknown): Promise<unknown> {
    return (await this.run(fn, payload)).result;
  }

  /** Runs a function and records what it threw or decided; how it ended. */
  private async run(fn: SimulatedFunction, payload: unknown): Promise<InvocationOutcome> {
    this.invocations += 1;
    this.props.onInvoke?.(fn.functionName, payload);
    const outcome = await this.props.host.invoke(fn.functionName, payload);
    if (outcome.error) {
      this.recordError(fn.functionName, `${outcome.error.type}: ${outcome.error.message}`);
      return outcome;
    }
    const result = outcome.result as (HandlerAnswer & { outcomes?: HandlerAnswer[] }) | undefined;
    for (const answer of result?.outcomes ?? (result ? [result] : [])) this.recordAnswer(fn, answer);
    return outcome;
  }

  /** The Lambda endpoint's invocations (a trigger asking the coordinator, for one). */
  async invokeForLambda(functionName: string, payload: unknown): Promise<{ payload?: unknown; error?: string }> {
    const fn = this.functions.get(functionName) ?? [...this.functions.values()].find((candidate) => candidate.functionName === functionName);
    if (!fn) return { error: `no function ${functionName} in the simulated app` };
    this.invocations += 1;
    this.props.onInvoke?.(fn.functionName, payload);
    const outcome = await this.props.host.invoke(fn.functionName, payload);
    if (outcome.error) this.recordError(fn.functionName, `${outcome.error.type}: ${outcome.error.message}`);
    return outcome.error ? { error: outcome.error.message } : { payload: outcome.result };
  }

  /** The state DescribeRule answers for a rule of the app; undefined for no such rule. */
  ruleState(busName: string, ruleName: string): string | undefined {
    const rule = this.rules.find((candidate) => candidate.eventBusName === busName && candidate.ruleArn?.endsWith(`/${ruleName}`));
    return rule === undefined ? undefined : rule.enabled ? 'ENABLED' : 'DISABLED';
  }

  /** A replay StartReplay started: performed once the invocation that started it is over. */
  replayStarted(request: ReplayRequest): void {
    this.archive.replayStarted(request);
  }

  /** A run SageMaker started: on the timeline, and finished at once (failed when its line says so). */
  runStarted(run: StartedRun): void {
    const { execution } = run;
    const correlationId = CORRELATION.exec(execution.description ?? '')?.[1] ?? '';
    const trigger = execution.parameters.TriggerType ?? TRIGGER_OF_CORRELATION[correlationId.split(':')[0]] ?? 'scheduled';
    this.props.recorded.runs.push({ atMs: run.startedAt, pipeline: execution.pipelineName, trigger, parameters: execution.parameters, correlationId });
    const stack = this.props.stacks[0];
    this.props.agenda.add({
      kind: 'finished', atMs: run.startedAt, stack, pipelineName: execution.pipelineName, executionArn: execution.executionArn,
      status: this.cause?.fail ? 'Failed' : 'Succeeded', startedAtMs: run.startedAt,
    });
  }

  private async ensureBucket(name: string): Promise<void> {
    if (this.buckets.has(name)) return;
    this.buckets.add(name);
    await this.props.services.createBuckets([name]);
  }

  /**
   * What a handler decided other than to start: a rejected input, an unreadable drift report, a drift assessment, a
   * deadline missed, a firing skipped.
   */
  private recordAnswer(fn: SimulatedFunction, answer: HandlerAnswer): void {
    const base = { atMs: this.props.clock.now(), pipeline: pipelineOf(fn), trigger: fn.functionName };
    if (answer.status === 'rejected' && answer.error) {
      this.props.recorded.decisions.push({ ...base, outcome: 'rejected', reason: `${answer.error.field} ${answer.error.problem}` });
    } else if (answer.status === 'unreadable') {
      this.props.recorded.decisions.push({ ...base, outcome: 'unreadable', reason: answer.problem ?? '' });
    } else if (answer.status === 'assessed' && answer.assessment) {
      const { severity, action, recommendation } = answer.assessment;
      const notified = answer.notified?.length ? ` (notified ${answer.notified.join(', ')})` : '';
      this.props.recorded.decisions.push({ ...base, outcome: `drift ${severity}: ${action}`, reason: `${recommendation}${notified}` });
    } else {
      this.props.recorded.decisions.push(...firingDecisions(answer, base.atMs));
    }
  }

  private recordError(functionName: string, message: string): void {
    this.props.recorded.errors.push({ atMs: this.props.clock.now(), function: functionName, message });
  }
}
