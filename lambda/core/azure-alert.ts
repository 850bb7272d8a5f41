import { NUM } from './alarm-message';
import { breachScore, type FeatureScore } from './drift';
import { isRfc3339Time } from './event-time';
import { accept, describe, isRecord, reject, requiredString, type FieldError, type Parsed } from './result';

/**
 * An Azure Monitor metric alert in the common alert schema, as an action group's Azure Function receiver posts it
 * (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema):
 * `{ "schemaId": "azureMonitorCommonAlertSchema", "data": { "essentials": { "alertId", "alertRule", "severity",
 * "signalType": "Metric", "monitorCondition": "Fired" | "Resolved", "originAlertId", "firedDateTime", ... },
 * "alertContext": { "conditionType", "condition": { "windowSize", "allOf": [{ "metricName", "operator",
 * "threshold": "25", "timeAggregation", "dimensions": [{ "name", "value" }], "metricValue": 31.1 }] } } } }`.
 *
 * `alertRule` is the rule's name, not its ARM id; `alertId` is the alert instance's ARM id
 * (`.../providers/Microsoft.AlertsManagement/alerts/<guid>`); `originAlertId` is the metric alert service's own id,
 * `<subscription>_<resource group>_microsoft.insights_metricAlerts_<rule name>_<hash>`. Newer payloads also carry
 * `alertRuleID`, the rule's ARM id; when it is absent, {@link alertRuleMismatch} identifies the rule by name and
 * originAlertId instead.
 */
export type AzureMetricAlert =
  | { readonly state: 'resolved'; readonly incidentId: string; readonly ruleName: string }
  | {
      readonly state: 'fired';
      /** essentials.alertId: the alert instance; with firedAt it identifies one firing across repeated deliveries. */
      readonly incidentId: string;
      /** essentials.alertRule: the rule's name. */
      readonly ruleName: string;
      /** essentials.alertRuleID, the rule's ARM id, when the payload carries it. */
      readonly ruleId?: string;
      readonly originAlertId: string;
      /** essentials.firedDateTime, as sent (an RFC 3339 time). */
      readonly firedAt: string;
      /** Sev0 (highest) to Sev4. */
      readonly severity: string;
      readonly conditionType: MetricConditionType;
      readonly criteria: readonly AlertCriterion[];
    };

export const METRIC_CONDITION_TYPES = ['SingleResourceMultipleMetricCriteria', 'MultipleResourceMultipleMetricCriteria', 'DynamicThresholdCriteria'] as const;
export type MetricConditionType = (typeof METRIC_CONDITION_TYPES)[number];

/** One entry of `condition.allOf`: a metric that crossed its threshold, scored as the drift of one feature. */
export interface AlertCriterion {
  readonly metricName: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  /** The `feature` dimension's value, else the metric's name; score = metricValue. */
  readonly score: FeatureScore;
}

export const COMMON_ALERT_SCHEMA_ID = 'azureMonitorCommonAlertSchema';
/** Bounds that keep a hostile or broken payload from costing more than a glance. */
export const ALERT_LIMITS = { maxCriteria: 50, maxDimensions: 64, maxText: 2048 } as const;

const DECIMAL = new RegExp(`^\\s*${NUM}\\s*$`);
const SEVERITY = /^Sev[0-4]$/;

/** Reads a common-schema metric alert, naming the field on error (`data.alertContext.condition.allOf[0].metricValue`). */
export function parseAzureMetricAlert(body: unknown): Parsed<AzureMetricAlert> {
  if (!isRecord(body)) return reject('body', `must be a common alert schema payload (a JSON object), got ${describe(body)}`);
  if (body.schemaId !== COMMON_ALERT_SCHEMA_ID) {
    return reject('schemaId', `must be '${COMMON_ALERT_SCHEMA_ID}' (enable the common alert schema on the action group's receiver), got ${describe(body.schemaId)}`);
  }
  const data = body.data;
  if (!isRecord(data)) return reject('data', `must be an object, got ${describe(data)}`);
  const essentials = data.essentials;
  if (!isRecord(essentials)) return reject('data.essentials', `must be an object, got ${describe(essentials)}`);
  const alertId = text(essentials, 'alertId', 'data.essentials.alertId');
  if (!alertId.ok) return alertId;
  const ruleName = text(essentials, 'alertRule', 'data.essentials.alertRule');
  if (!ruleName.ok) return ruleName;
  const condition = essentials.monitorCondition;
  if (condition === 'Resolved') return accept({ state: 'resolved', incidentId: alertId.value, ruleName: ruleName.value });
  if (condition !== 'Fired') return reject('data.essentials.monitorCondition', `must be 'Fired' or 'Resolved', got ${describe(condition)}`);
  if (essentials.signalType !== 'Metric') return reject('data.essentials.signalType', `must be 'Metric' (this function reads metric alerts), got ${describe(essentials.signalType)}`);
  const severity = text(essentials, 'severity', 'data.essentials.severity');
  if (!severity.ok) return severity;
  if (!SEVERITY.test(severity.value)) return reject('data.essentials.severity', `must be Sev0 to Sev4, got '${severity.value.slice(0, 40)}'`);
  const originAlertId = text(essentials, 'originAlertId', 'data.essentials.originAlertId');
  if (!originAlertId.ok) return originAlertId;
  const firedAt = text(essentials, 'firedDateTime', 'data.essentials.firedDateTime');
  if (!firedAt.ok) return firedAt;
  if (!isRfc3339Time(firedAt.value)) return reject('data.essentials.firedDateTime', `must be an RFC 3339 time, got '${firedAt.value.slice(0, 40)}'`);
  let ruleId: string | undefined;
  if (essentials.alertRuleID !== undefined && essentials.alertRuleID !== null) {
    const id = text(essentials, 'alertRuleID', 'data.essentials.alertRuleID');
    if (!id.ok) return id;
    ruleId = id.value;
  }

  const context = data.alertContext;
  if (!isRecord(context)) return reject('data.alertContext', `must be an object, got ${describe(context)}`);
  const conditionType = context.conditionType;
  if (!(METRIC_CONDITION_TYPES as readonly unknown[]).includes(conditionType)) {
    return reject('data.alertContext.conditionType', `must be one of ${METRIC_CONDITION_TYPES.join(', ')}, got ${describe(conditionType)}`);
  }
  const metricCondition = context.condition;
  if (!isRecord(metricCondition)) return reject('data.alertContext.condition', `must be an object, got ${describe(metricCondition)}`);
  const allOf = metricCondition.allOf;
  if (!Array.isArray(allOf) || allOf.length === 0 || allOf.length > ALERT_LIMITS.maxCriteria) {
    return reject('data.alertContext.condition.allOf', `must list 1-${ALERT_LIMITS.maxCriteria} criteria, got ${Array.isArray(allOf) ? `${allOf.length}` : describe(allOf)}`);
  }
  const criteria: AlertCriterion[] = [];
  for (const [index, entry] of allOf.entries()) {
    const criterion = readCriterion(entry, `data.alertContext.condition.allOf[${index}]`, ruleName.value);
    if (!criterion.ok) return criterion;
    criteria.push(criterion.value);
  }
  return accept({
    state: 'fired', incidentId: alertId.value, ruleName: ruleName.value, ...(ruleId !== undefined ? { ruleId } : {}),
    originAlertId: originAlertId.value, firedAt: firedAt.value, severity: severity.value,
    conditionType: conditionType as MetricConditionType, criteria,
  });
}

function readCriterion(entry: unknown, at: string, ruleName: string): Parsed<AlertCriterion> {
  if (!isRecord(entry)) return reject(at, `must be an object, got ${describe(entry)}`);
  const metricName = text(entry, 'metricName', `${at}.metricName`);
  if (!metricName.ok) return metricName;
  const value = decimal(entry.metricValue);
  if (value === undefined) return reject(`${at}.metricValue`, `must be a number, got ${describe(entry.metricValue)}`);
  // A dynamic threshold's threshold is the one computed for the window; it may be absent or null.
  const threshold = entry.threshold === undefined || entry.threshold === null ? null : decimal(entry.threshold);
  if (threshold === undefined) return reject(`${at}.threshold`, `must be a number when present, got ${describe(entry.threshold)}`);
  const rawDimensions = entry.dimensions ?? [];
  if (!Array.isArray(rawDimensions) || rawDimensions.length > ALERT_LIMITS.maxDimensions) {
    return reject(`${at}.dimensions`, `must list at most ${ALERT_LIMITS.maxDimensions} { name, value } pairs, got ${Array.isArray(rawDimensions) ? `${rawDimensions.length}` : describe(rawDimensions)}`);
  }
  const dimensions: { name: string; value: string }[] = [];
  for (const [index, dimension] of rawDimensions.entries()) {
    const path = `${at}.dimensions[${index}]`;
    if (!isRecord(dimension)) return reject(path, `must be { name, value }, got ${describe(dimension)}`);
    const name = text(dimension, 'name', `${path}.name`);
    if (!name.ok) return name;
    const dimensionValue = text(dimension, 'value', `${path}.value`);
    if (!dimensionValue.ok) return dimensionValue;
    dimensions.push({ name: name.value, value: dimensionValue.value });
  }
  // Dimension names are case-insensitive in Azure Monitor.
  const feature = dimensions.find((d) => d.name.toLowerCase() === 'feature')?.value ?? metricName.value;
  const operator = typeof entry.operator === 'string' ? entry.operator : 'crossed';
  const detail = `${ruleName} / ${metricName.value}: ${value} ${operator}${threshold === null ? '' : ` ${threshold}`}`;
  return accept({ metricName: metricName.value, dimensions, score: breachScore(feature, value, detail, threshold ?? undefined) });
}

/**
 * Why a fired alert is not the rule `alertRuleId` (an ARM id: `/subscriptions/<s>/resourceGroups/<g>/providers/
 * Microsoft.Insights/metricAlerts/<name>`), or undefined when it is. ARM ids and names compare without regard to case.
 * With `alertRuleID` in the payload, that decides. Without it, the payload names the rule only by `alertRule` (its
 * name) and `originAlertId` (`<subscription>_<resource group>_microsoft.insights_metricAlerts_<name>_<hash>`): both
 * must agree, so that a same-named rule of another resource group or subscription is not taken for this one.
 */
export function alertRuleMismatch(alert: Extract<AzureMetricAlert, { state: 'fired' }>, alertRuleId: string): FieldError | undefined {
  if (alert.ruleId !== undefined) {
    return alert.ruleId.toLowerCase() === alertRuleId.toLowerCase()
      ? undefined
      : { field: 'data.essentials.alertRuleID', problem: `is '${alert.ruleId}', but this trigger's alert rule is '${alertRuleId}'` };
  }
  const rule = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/microsoft\.insights\/metricAlerts\/([^/]+)$/i.exec(alertRuleId);
  if (!rule) return { field: 'data.essentials.alertRuleID', problem: `is absent, and this trigger's alert rule '${alertRuleId}' is not a metric alert rule's ARM id to compare the rule's name with` };
  const [, subscription, resourceGroup, name] = rule;
  if (alert.ruleName.toLowerCase() !== name.toLowerCase()) {
    return { field: 'data.essentials.alertRule', problem: `is '${alert.ruleName}', but this trigger's alert rule is '${name}' (${alertRuleId})` };
  }
  const origin = `${subscription}_${resourceGroup}_microsoft.insights_metricAlerts_${name}_`.toLowerCase();
  if (!alert.originAlertId.toLowerCase().startsWith(origin)) {
    return { field: 'data.essentials.originAlertId', problem: `is '${alert.originAlertId.slice(0, 200)}', which is not an alert of '${alertRuleId}' (expected it to start with '${origin}')` };
  }
  return undefined;
}

/** The criteria about `metricName` (compared without regard to case, as Azure Monitor does). */
export function criteriaOf(alert: Extract<AzureMetricAlert, { state: 'fired' }>, metricName: string): readonly AlertCriterion[] {
  const wanted = metricName.toLowerCase();
  return alert.criteria.filter((criterion) => criterion.metricName.toLowerCase() === wanted);
}

/** A required string of bounded length. */
function text(record: Record<string, unknown>, name: string, path: string): Parsed<string> {
  const value = requiredString(record, name, path);
  if (value.ok && value.value.length > ALERT_LIMITS.maxText) return reject(path, `must be at most ${ALERT_LIMITS.maxText} characters, got ${value.value.length}`);
  return value;
}

/** metricValue is a JSON number; threshold a decimal string ("25"). Either spelling is read for both. */
function decimal(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.length <= 64 && DECIMAL.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
