import { S3Client } from '@aws-sdk/client-s3';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  DOCUMENT_FIELDS,
  evaluateGuardrail,
  parseEvaluationReport,
  parseGoldenSet,
  parseGuardrailRequest,
  type CheckName,
  type GuardrailEvidence,
  type GuardrailRequest,
  type GuardrailVerdict,
} from '../../core/guardrail';
import { parseDefaults } from '../../core/contracts/guardrail';
import { accept, reject, type FieldError, type Parsed } from '../../core/result';
import { MetricName, MetricService } from '../../core/contracts/metrics';
import { HandlerShell, JsonSetting } from '../adapters/handler-shell';
import { JsonReader } from './json-reader';

const shell = new HandlerShell({ serviceName: MetricService.PromotionGuardrail, rejectionMetric: MetricName.InputsRejected, rejectionMessage: 'rejected guardrail input that cannot be read' });
const { logger, metrics } = shell;
const reader = new JsonReader(new S3Client({}));
// parseDefaults reads the setting's text: the shell has already parsed it, an absent setting is the built-in defaults.
const guardrailDefaults = new JsonSetting('GUARDRAIL_DEFAULTS', (value) => parseDefaults(value === undefined ? undefined : JSON.stringify(value)));

/**
 * What the LambdaStep reads back: flat, because a pipeline step's outputs can only be primitives.
 * The numbers are the checks' measured values, or -1 when the input could not be read.
 */
export interface GuardrailStepOutput {
  readonly passed: boolean;
  readonly requires_approval: boolean;
  readonly golden_accuracy: number;
  readonly accuracy_delta: number;
  readonly prediction_shift: number;
  readonly error_concentration: number;
  /** The failed checks' names joined with commas, `'input'` when the input could not be read, or `''`. */
  readonly failed_checks: string;
  /** `{ passed, requiresApproval, checks: [{ name, passed, value, threshold, details }] }` (plus `error` for bad input) as JSON. */
  readonly report: string;
  /** `'<field>: <problem>'` naming the input field (and the URI) that could not be read, otherwise `''`. */
  readonly error: string;
}

/**
 * Called by a SageMaker LambdaStep before a retrained model is registered or deployed, with the inputs
 * `candidateReportUri`, `baselineReportUri`, `goldenSetUri` (s3:// URIs of JSON documents) and optional
 * threshold overrides (`minGoldenAccuracy`, `maxAccuracyDelta`, `maxPredictionShift`,
 * `maxErrorConcentration`, `approvalPredictionShift`). Bad input answers `passed: false` instead of throwing;
 * `GUARDRAIL_DEFAULTS` that cannot be used fails the step, because the deployment is wrong, not the input.
 */
export const handler = shell.handler(async (event): Promise<GuardrailStepOutput> => {
  const request = parseGuardrailRequest(event, shell.setting(guardrailDefaults));
  if (!request.ok) return rejected(request.error);
  const evidence = await gather(request.value);
  if (!evidence.ok) return rejected(evidence.error);
  const verdict = evaluateGuardrail(evidence.value, request.value.thresholds);
  record(verdict, request.value);
  return stepOutput(verdict);
});

/** Reads the three documents; an error names the event field and the URI. */
async function gather(request: GuardrailRequest): Promise<Parsed<GuardrailEvidence>> {
  const locations = [request.candidateReport, request.baselineReport, request.goldenSet];
  const reads = await Promise.all(locations.map((location) => reader.read(location)));
  const documents: unknown[] = [];
  for (const [index, read] of reads.entries()) {
    if (!read.ok) return reject(DOCUMENT_FIELDS[index], read.problem);
    documents.push(read.document);
  }
  const invalid = (index: number, error: FieldError): Parsed<GuardrailEvidence> =>
    reject(DOCUMENT_FIELDS[index], `${locations[index].uri}: ${error.field} ${error.problem}`);
  const candidate = parseEvaluationReport(documents[0], 'candidate');
  if (!candidate.ok) return invalid(0, candidate.error);
  const baseline = parseEvaluationReport(documents[1], 'baseline');
  if (!baseline.ok) return invalid(1, baseline.error);
  const goldenAccuracy = parseGoldenSet(documents[2]);
  if (!goldenAccuracy.ok) return invalid(2, goldenAccuracy.error);
  return accept({ candidate: candidate.value, baseline: baseline.value, goldenAccuracy: goldenAccuracy.value });
}

function record(verdict: GuardrailVerdict, request: GuardrailRequest): void {
  const failed = verdict.checks.filter((check) => !check.passed).map((check) => check.name);
  const message = verdict.passed ? 'the candidate passed the guardrail' : 'the candidate failed the guardrail';
  const fields = { candidate: request.candidateReport.uri, requiresApproval: verdict.requiresApproval, failed, checks: verdict.checks };
  if (verdict.passed) logger.info(message, fields);
  else logger.warn(message, fields);
  metrics.addMetric(verdict.passed ? MetricName.CandidatesPassed : MetricName.CandidatesFailed, MetricUnit.Count, 1);
  if (verdict.requiresApproval) metrics.addMetric(MetricName.ApprovalsRequested, MetricUnit.Count, 1);
  for (const check of verdict.checks) if (!check.passed) metrics.addMetric(`${MetricName.CheckFailedPrefix}${check.name}`, MetricUnit.Count, 1);
}

function stepOutput(verdict: GuardrailVerdict): GuardrailStepOutput {
  const value = (name: CheckName): number => verdict.checks.find((check) => check.name === name)?.value ?? -1;
  return {
    passed: verdict.passed,
    requires_approval: verdict.requiresApproval,
    golden_accuracy: value('golden_accuracy'),
    accuracy_delta: value('accuracy_delta'),
    prediction_shift: value('prediction_shift'),
    error_concentration: value('error_concentration'),
    failed_checks: verdict.checks.filter((check) => !check.passed).map((check) => check.name).join(','),
    report: JSON.stringify(verdict),
    error: '',
  };
}

/** Input that cannot be read never passes a model and always asks for a human. */
function rejected(error: FieldError): GuardrailStepOutput {
  shell.reject(error);
  const verdict: GuardrailVerdict = { passed: false, requiresApproval: true, checks: [] };
  return {
    ...stepOutput(verdict),
    failed_checks: 'input',
    report: JSON.stringify({ ...verdict, error }),
    error: `${error.field}: ${error.problem}`,
  };
}
