import { NUM } from './alarm-message';
import { breachScore, type FeatureScore } from './drift';
import { accept, describe, isRecord, own, parseJson, reject, requiredString, type Parsed } from './result';

/**
 * A Cloud Monitoring incident notification (schema version 1.2), as a Pub/Sub notification channel publishes it:
 * `{ "version": "1.2", "incident": { "incident_id", "state": "open" | "closed", "started_at": <epoch seconds>,
 * "policy_name", "condition_name", "metric": { "type", "labels" }, "resource": { "type", "labels" },
 * "observed_value": "0.790", "threshold_value": "0.5", "summary", "url", ... } }`.
 */
export type Incident =
  | { readonly state: 'closed'; readonly incidentId: string }
  | {
      readonly state: 'open';
      readonly incidentId: string;
      /** started_at, in epoch seconds: with incident_id it identifies the incident across repeated notifications. */
      readonly startedAt: number;
      readonly policyName?: string;
      readonly conditionName?: string;
      /** metric.type: what the incident is about. */
      readonly metricType: string;
      /** observed_value as the score of one feature: the metric's `feature` label, else its type's last path segment. */
      readonly score: FeatureScore;
    };

const NUMBER = new RegExp(`^\\s*${NUM}\\s*$`);
export const SUPPORTED_VERSION = '1.2';

/** Parses the message data; names the field (`incident.observed_value`) on error. An open incident without a number is never scored as 0. */
export function parseIncident(data: string): Parsed<Incident> {
  const json = parseJson(data, 'message.data');
  if (!json.ok) return json;
  if (!isRecord(json.value)) return reject('message.data', `must be a JSON object, got ${describe(json.value)}`);
  if (json.value.version !== SUPPORTED_VERSION) {
    return reject('version', `must be '${SUPPORTED_VERSION}' (the incident schema this function reads), got ${describe(json.value.version)}`);
  }
  const incident = json.value.incident;
  if (!isRecord(incident)) return reject('incident', `must be an object, got ${describe(incident)}`);
  const incidentId = requiredString(incident, 'incident_id', 'incident.incident_id');
  if (!incidentId.ok) return incidentId;
  const state = typeof incident.state === 'string' ? incident.state.toLowerCase() : undefined;
  if (state !== 'open' && state !== 'closed') return reject('incident.state', `must be 'open' or 'closed', got ${describe(incident.state)}`);
  if (state === 'closed') return accept({ state, incidentId: incidentId.value });
  const startedAt = epochSeconds(incident.started_at);
  if (startedAt === undefined) return reject('incident.started_at', `must be the epoch seconds the incident started, got ${describe(incident.started_at)}`);
  const metric = incident.metric;
  if (!isRecord(metric)) return reject('incident.metric', `must be an object with the metric's type, got ${describe(metric)}`);
  const type = requiredString(metric, 'type', 'incident.metric.type');
  if (!type.ok) return type;
  const labels = metric.labels ?? {};
  if (!isRecord(labels)) return reject('incident.metric.labels', `must be an object, got ${describe(labels)}`);
  const label = own(labels, 'feature');
  if (label !== undefined && (typeof label !== 'string' || label === '')) {
    return reject('incident.metric.labels.feature', `must be a non-empty string when present, got ${describe(label)}`);
  }
  const feature = label ?? type.value.split('/').filter(Boolean).pop() ?? type.value;
  const observed = decimal(incident.observed_value);
  if (observed === undefined) return reject('incident.observed_value', `must be a number, got ${describe(incident.observed_value)}`);
  const threshold = incident.threshold_value === undefined || incident.threshold_value === null ? null : decimal(incident.threshold_value);
  if (threshold === undefined) return reject('incident.threshold_value', `must be a number when present, got ${describe(incident.threshold_value)}`);
  const policyName = optionalString(incident.policy_name);
  const conditionName = optionalString(incident.condition_name);
  const summary = optionalString(incident.summary);
  const detail = summary ?? `${policyName ?? 'alert policy'} / ${conditionName ?? type.value}: observed ${observed}${threshold === null ? '' : ` over threshold ${threshold}`}`;
  // The notification does not say which way its condition compares, so the value is read as a distance.
  const score: FeatureScore = breachScore(feature, observed, detail, threshold ?? undefined);
  return accept({
    state,
    incidentId: incidentId.value,
    startedAt,
    metricType: type.value,
    ...(policyName !== undefined ? { policyName } : {}),
    ...(conditionName !== undefined ? { conditionName } : {}),
    score,
  });
}

/** A decimal as Monitoring writes observed_value and threshold_value (strings such as "0.790"); a JSON number is read too. */
function decimal(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** started_at is epoch seconds, an integer in the documented schema; digits in a string are read too. */
function epochSeconds(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
