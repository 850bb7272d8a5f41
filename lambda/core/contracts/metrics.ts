/**
 * The metrics contract: the namespace, the names and the dimensions of every metric the handlers publish
 * (Powertools EMF) and the constructs graph and alarm on. A name written here is what CloudWatch holds,
 * so changing one breaks dashboards and alarms already deployed. Pure: no SDK, no clock, no environment.
 *
 * String enums, not objects: esbuild inlines an enum member's value into each handler bundle, so the
 * bundles carry the same bytes as when the names were written out.
 */

/** The CloudWatch namespace of every handler's metrics (Powertools reads it from `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'MLTriggers';

/** The function that published a metric: Powertools' `serviceName`, the value of the `service` dimension. */
export enum MetricService {
  DataArrivalBatcher = 'DataArrivalBatcher',
  EventTriggers = 'EventTriggers',
  DriftEvaluator = 'DriftEvaluator',
  RetrainingCoordinator = 'RetrainingCoordinator',
  PromotionGuardrail = 'PromotionGuardrail',
  DriftMonitor = 'DriftMonitor',
  ScheduledChecks = 'ScheduledChecks',
}

/** The dimension keys the handlers publish. */
export enum MetricDimension {
  /** The publishing function, set by Powertools from its `serviceName`. */
  Service = 'service',
  /** The kind of trigger: a {@link TriggerTypeDimension}. */
  TriggerType = 'TriggerType',
  /** One trigger, on the metrics that are per trigger (the oldest batch's age). */
  TriggerId = 'TriggerId',
  /** The coordinator's decision: started, suppressed, awaiting-approval, rejected, withdrawn or failed. */
  Outcome = 'Outcome',
  /** The first word of the coordinator's reason for its decision. */
  Reason = 'Reason',
  /** The drift evaluator's feature. */
  Feature = 'Feature',
  /** The drift assessment's severity. */
  Severity = 'Severity',
  /** What the drift assessment asked for. */
  Action = 'Action',
  /** A drift monitor: its id, a hash of its construct path. */
  Monitor = 'Monitor',
}

/** The values of the `TriggerType` dimension that the trigger functions set by default. */
export enum TriggerTypeDimension {
  DataArrival = 'DataArrival',
  Event = 'Event',
  Drift = 'Drift',
  Scheduled = 'Scheduled',
}

/** The metric names, each with the function that publishes it. */
export enum MetricName {
  // Shared by the trigger functions (the batcher, the event triggers, the drift evaluator).
  EventsReceived = 'EventsReceived',
  EventsRejected = 'EventsRejected',
  StartRequests = 'StartRequests',
  // DataArrivalBatcher
  DuplicateEvents = 'DuplicateEvents',
  ObjectsBatched = 'ObjectsBatched',
  BatchesSealed = 'BatchesSealed',
  BatchSize = 'BatchSize',
  SealToStartLatency = 'SealToStartLatency',
  OldestBatchAge = 'OldestBatchAge',
  BatchesDeferred = 'BatchesDeferred',
  StartFailures = 'StartFailures',
  BatchesFailed = 'BatchesFailed',
  /** A deadline of a data-arrival trigger passed with no object placed since the deadline before (dimension TriggerId). */
  MissedDeadlines = 'MissedDeadlines',
  /** A batch schedule's firing found the open batch empty and started nothing (dimension TriggerId). */
  BatchFiringsSkipped = 'BatchFiringsSkipped',
  // EventTriggers
  EventToStartLatency = 'EventToStartLatency',
  /** Events whose `data` failed the schema their name declares: dropped, never started (also counted in EventsRejected). */
  EventsFailingSchema = 'EventsFailingSchema',
  // ScheduledChecks (EventsReceived counts firings, StartRequests the starts they asked for)
  FiringsSkipped = 'FiringsSkipped',
  // DriftEvaluator
  MessagesRejected = 'MessagesRejected',
  DriftScore = 'DriftScore',
  DriftAssessments = 'DriftAssessments',
  UnreadableReports = 'UnreadableReports',
  // RetrainingCoordinator
  RequestsRejected = 'RequestsRejected',
  Decisions = 'Decisions',
  EstimatedSpend = 'EstimatedSpend',
  WaitingRequests = 'WaitingRequests',
  // DriftMonitor (DriftScore by Monitor and Feature, as the evaluator's by Feature)
  MonitorRuns = 'MonitorRuns',
  CaptureRowsRead = 'CaptureRowsRead',
  MalformedCaptureLines = 'MalformedCaptureLines',
  MonitorViolations = 'MonitorViolations',
  // PromotionGuardrail
  InputsRejected = 'InputsRejected',
  CandidatesPassed = 'CandidatesPassed',
  CandidatesFailed = 'CandidatesFailed',
  ApprovalsRequested = 'ApprovalsRequested',
  /** Followed by the failed check's name: `CheckFailed_<check>`. */
  CheckFailedPrefix = 'CheckFailed_',
}

/** The dimensions every metric of `service` carries: the service, and the trigger type its function sets by default. */
export function serviceDimensions(service: MetricService): Readonly<Record<string, string>> {
  return { [MetricDimension.Service]: service, ...defaultDimensions(service) };
}

/** The dimensions a function of `service` sets by default besides the service: a trigger function's trigger type. */
export function defaultDimensions(service: string): Readonly<Record<string, string>> {
  const triggerType = Object.hasOwn(DEFAULT_TRIGGER_TYPE, service) ? DEFAULT_TRIGGER_TYPE[service] : undefined;
  return triggerType ? { [MetricDimension.TriggerType]: triggerType } : {};
}

/** The `TriggerType` each trigger function sets as a default dimension; the coordinator and the guardrail set none. */
const DEFAULT_TRIGGER_TYPE: Readonly<Partial<Record<string, TriggerTypeDimension>>> = {
  [MetricService.DataArrivalBatcher]: TriggerTypeDimension.DataArrival,
  [MetricService.EventTriggers]: TriggerTypeDimension.Event,
  [MetricService.DriftEvaluator]: TriggerTypeDimension.Drift,
  [MetricService.ScheduledChecks]: TriggerTypeDimension.Scheduled,
};
