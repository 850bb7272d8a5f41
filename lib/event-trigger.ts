import { Stack, Token, type Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { checkEventPatternSize, compileFilter } from '../lambda/core/event-filter';
import { parseParameterTemplates } from '../lambda/core/templates';
import { isJoinMode, UPSTREAM_EXECUTION_PARAMETER, type EventTriggerConfigJson } from '../lambda/core/contracts/event-trigger';
import { DEFAULT_PRIORITY, PRIORITY_LIMITS } from '../lambda/core/contracts/shared';
import { EventTriggerFunction } from './private/event-trigger-function';
import { configureHandlerFunction } from './private/handler-function';
import { handlerMetric } from './private/handler-metrics';
import { MetricName, MetricService } from '../lambda/core/contracts/metrics';
import { TriggerTarget } from './private/trigger-configuration';
import { shortHash } from './private/short-hash';
import { validateIntegerInRange } from './private/validation';
import type { IRetrainingCoordinator } from './retraining-coordinator';
import { wireStartRoute } from './private/start-route';
import { DebounceQueue, validateDebounce } from './private/debounce-queue';
import { assertJoinTemplates, joinSettings, keyedDataPattern } from './private/join-source';
import { typedEventSchemas } from './private/typed-event-checks';
import type { TriggerFunctionOptions } from './trigger-function-options';
import { TrainingPipeline, type ITrainingPipeline } from './training-pipeline';
import type { EventSource } from './event-source';
import type { ReEnable } from './re-enable';
import { eventCatchUp } from './private/event-catch-up';

/** Properties of an {@link EventTrigger}. */
export interface EventTriggerProps extends TriggerFunctionOptions {
  /**
   * What starts a run: `EventSource.named(bus, name)`, `EventSource.anyOf(bus, names)`,
   * `EventSource.join(bus, names)`, `EventSource.sequence(bus, names)` or `EventSource.afterPipeline(pipeline)`.
   */
  readonly source: EventSource;
  /**
   * The pipeline to start: a `TrainingPipeline`, a `sagemaker.CfnPipeline` defined in your app, or any
   * other `IPipelineRef`.
   */
  readonly pipeline: sagemaker.IPipelineRef;
  /**
   * Pipeline parameters from templates such as `{{ event.model_id }}`, `{{ event.model_name }}-auto`,
   * `{{ event.owner.team | default: 'ml' }}`, or in a join `{{ events.features_ready.version }}`.
   * Rendered by the trigger's function: never evaluated as code, checked against SageMaker's limits
   * (names, count, and literal text at synth; rendered values per event).
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
  /**
   * Whether the rule is enabled; a disabled trigger keeps its rule.
   * Enabled again, it skips the events published while disabled (a disabled rule delivers nothing), unless
   * `whenReEnabled` catches up.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * What the trigger does, once enabled again, with the events published on its bus while it was disabled:
   * `ReEnable.skip()` never evaluates them; `ReEnable.catchUp({ maxAge, maxObjects })` replays them from the
   * bus's archive to this trigger's rule alone, at most `maxObjects` events (default 1,000) none older than
   * `maxAge` (default 7 days) when it came back, and evaluates them through the trigger's normal path (filter,
   * join, debounce, templates, coordinator), each event once even if it was also delivered before the trigger
   * went off. Only for named events on a `TriggerEventBus` (not `EventSource.afterPipeline`); configure it no
   * later than the deployment that disables the trigger. A `TriggerEventBus`'s own archive must keep events at
   * least `maxAge`; on a bus from `TriggerEventBus.fromEventBus`, an archive of the catching-up triggers'
   * events is created.
   * @default ReEnable.skip()
   */
  readonly whenReEnabled?: ReEnable;
  /**
   * Routes starts through this coordinator.
   * @default - the trigger's function starts the pipeline
   */
  readonly coordinator?: IRetrainingCoordinator;
  /**
   * The priority of this trigger's requests to the coordinator: 1 (most urgent) to 5.
   * @default 3
   */
  readonly priority?: number;
  /**
   * Starts one run per burst of events instead of one per event: the run starts this long after the burst's
   * last event, and every event within the quiet period joins the burst (templates render the last one).
   * Only for sources whose every event starts a run (`EventSource.named`, `EventSource.anyOf`). From 10
   * seconds to 15 minutes: each event comes back from an SQS delay queue of the trigger's own after the
   * quiet period, and SQS delays a message by at most 900 seconds. Unlike a coordinator's cooldown, which
   * spaces runs out, a debounce waits until the events stop.
   * @default - every event starts a run at once
   */
  readonly debounce?: Duration;
}

/** SageMaker emits this when a pipeline execution changes status. */
const EXECUTION_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Status Change';

/**
 * Starts a pipeline from named platform events: one event (filtered), any of several, all (or some) of
 * several events within a window, several in order, optionally per key, or the success of another pipeline.
 */
export class EventTrigger extends Construct {
  // One function serves every event trigger, so its metrics count them together.

  /** Events the event triggers received: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllEventsReceived(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.EventTriggers, MetricName.EventsReceived, props);
  }

  /**
   * Events that the event triggers of a stack rejected (a template that cannot render an event, a value
   * SageMaker would refuse): all of them together, as they share one function. The sum over 5 minutes,
   * unless `props` says otherwise.
   */
  public static metricAllEventsRejected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.EventTriggers, MetricName.EventsRejected, props);
  }

  /** Starts the event triggers requested: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllStartRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.EventTriggers, MetricName.StartRequests, props);
  }

  /** Milliseconds from an event's time to its start request: the average over 5 minutes, unless `props` says otherwise. */
  public static metricAllEventToStartLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.EventTriggers, MetricName.EventToStartLatency, props, { statistic: cloudwatch.Stats.AVERAGE });
  }

  /**
   * Events of a declared name whose `data` failed its schema, which the event triggers dropped (each is
   * also counted in {@link metricAllEventsRejected}): the sum over 5 minutes, unless `props` says otherwise.
   */
  public static metricAllEventsFailingSchema(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.EventTriggers, MetricName.EventsFailingSchema, props);
  }

  /** The rule that forwards matching events. */
  public readonly rule: events.IRule;
  /** The trigger's id in join state and logs. */
  public readonly triggerId: string;

  constructor(scope: Construct, id: string, props: EventTriggerProps) {
    super(scope, id);
    const source = props.source._config;
    const names = source.names;
    if (props.priority !== undefined) validateIntegerInRange('priority', props.priority, PRIORITY_LIMITS.min, PRIORITY_LIMITS.max);
    if (props.debounce !== undefined) validateDebounce(props.debounce, source.mode);
    const templates = parseParameterTemplates(props.parameters ?? {}, {
      ...(isJoinMode(source.mode) ? { joinedEvents: names } : {}),
      reserved: source.mode === 'chain' ? [UPSTREAM_EXECUTION_PARAMETER] : [],
    });
    if (!templates.ok) throw new Error(`${templates.error.field} ${templates.error.problem}`);
    assertJoinTemplates(source, templates.value);
    const dataFilter = source.filter ? compileFilter(source.filter) : undefined;
    if (dataFilter && !dataFilter.ok) throw new Error(`${dataFilter.error.field} ${dataFilter.error.problem}`);
    const schemas = typedEventSchemas(this, source, templates.value, dataFilter?.value);

    const pipeline = TrainingPipeline.of(this, props.pipeline);
    const upstream = source.upstream ? TrainingPipeline.of(this, source.upstream) : undefined;
    if (upstream) assertSameEnvironment(this, upstream);
    const shared = EventTriggerFunction.of(this);
    configureHandlerFunction(shared.function, props, this);
    this.triggerId = `${this.node.id.replace(/[^A-Za-z0-9_-]/g, '')}-${shortHash(this.node.path, 8)}`.slice(-64);
    const debounce = props.debounce === undefined ? undefined : new DebounceQueue(this, 'Debounce', shared, props.debounce);
    const config = {
      triggerId: this.triggerId,
      pipelineName: pipeline.pipelineName,
      mode: source.mode,
      events: names,
      ...(source.within ? { windowSeconds: source.within.toSeconds() } : {}),
      ...joinSettings(source),
      parameters: props.parameters ?? {},
      ...(schemas ? { schemas } : {}),
      ...wireStartRoute(shared.function, pipeline, props.coordinator, props.priority ?? DEFAULT_PRIORITY),
      ...debounce?.config,
    };

    const ruleName = `${shared.ruleNamePrefix}${shortHash(this.node.path, 16)}`;
    const enabled = props.enabled ?? true;
    const catchUp = eventCatchUp(this, shared, props.whenReEnabled, source, { ruleName, enabled });
    const eventPattern: events.EventPattern = upstream
      ? {
          source: ['aws.sagemaker'],
          detailType: [EXECUTION_STATUS_CHANGE],
          // SageMaker sends the pipeline ARN in lower case; CloudFormation resolves a token inside the operator.
          detail: { pipelineArn: [{ 'equals-ignore-case': upstream.pipelineArn }], currentPipelineExecutionStatus: ['Succeeded'] },
        }
      : {
          source: [source.bus!.eventSource],
          detailType: names,
          ...withData(keyedDataPattern(dataFilter?.ok ? dataFilter.value : undefined, source.forEach)),
        };
    if (!upstream) assertPatternSize(eventPattern, source.filter ? 'filter' : names.length > 1 ? 'names' : 'name');
    this.rule = new events.Rule(this, 'Rule', {
      ruleName,
      description: `cdk-ml-triggers: ${config.mode} trigger ${this.triggerId}`,
      ...(source.bus ? { eventBus: source.bus.bus } : {}),
      enabled,
      eventPattern,
      targets: [new TriggerTarget(shared, this.triggerId, { ...config, ...catchUp, pattern: renderedPattern(eventPattern) } satisfies EventTriggerConfigJson, schemas ? 'parameter templates and event schemas' : 'parameter templates'), ...(debounce ? [debounce.target(this.triggerId)] : [])],
    });
  }
}

/** The `detail` of a bus rule's pattern: the condition on `data`, when there is one. */
const withData = (data: Record<string, unknown> | undefined) => (data ? { detail: { data } } : {});

/** The pattern as EventBridge matches it: `detail-type` and the other fields under their event names. */
function renderedPattern(pattern: events.EventPattern): Record<string, unknown> {
  const { detailType, ...rest } = pattern;
  return { ...rest, ...(detailType ? { 'detail-type': detailType } : {}) };
}

/** The pattern as CloudFormation sends it must fit EventBridge's quota; one with tokens is checked at deploy. */
function assertPatternSize(pattern: events.EventPattern, prop: string): void {
  const rendered = renderedPattern(pattern);
  if (Token.isUnresolved(JSON.stringify(rendered))) return;
  const size = checkEventPatternSize(rendered, prop);
  if (!size.ok) throw new Error(`${size.error.field} ${size.error.problem}`);
}

/**
 * Status-change events reach only the default bus of the pipeline's own account and region: a chain
 * on a pipeline elsewhere (known at synth) could never fire. Unresolved accounts and regions pass.
 */
function assertSameEnvironment(scope: Construct, upstream: ITrainingPipeline): void {
  const stack = Stack.of(scope);
  const differs = (theirs: string, ours: string) => !Token.isUnresolved(theirs) && !Token.isUnresolved(ours) && theirs !== ours;
  if (differs(upstream.env.account, stack.account) || differs(upstream.env.region, stack.region)) {
    throw new Error(
      `afterPipeline ${upstream.pipelineArn} is in account ${upstream.env.account}, region ${upstream.env.region}, but this stack deploys to account ${stack.account}, region ${stack.region}: ` +
        "its status-change events never reach this account's default bus. Forward them with a rule in the upstream account and region " +
        "(source aws.sagemaker, target this account's default event bus), or define the chain in a stack in the pipeline's account and region",
    );
  }
}
