import { Duration, Token } from 'aws-cdk-lib';
import { PIPELINE_PARAMETER_LIMITS } from '../../lambda/core/pipeline-parameters';

/**
 * Checks static pipeline parameters against SageMaker's limits at synth time.
 * Unresolved tokens are skipped: their value is only known at deploy time.
 */
export function validatePipelineParameters(parameters: Readonly<Record<string, string>>, prop = 'parameters'): void {
  const names = Object.keys(parameters);
  if (names.length > PIPELINE_PARAMETER_LIMITS.maxCount) {
    throw new Error(
      `${prop} may hold at most ${PIPELINE_PARAMETER_LIMITS.maxCount} pipeline parameters, got ${names.length}: pass the rest through a file the pipeline reads`,
    );
  }
  for (const name of names) {
    if (Token.isUnresolved(name)) continue;
    if (name.length > PIPELINE_PARAMETER_LIMITS.maxNameLength || !PIPELINE_PARAMETER_LIMITS.namePattern.test(name)) {
      throw new Error(
        `${prop} name '${name}' is not a valid SageMaker pipeline parameter name: use 1-256 letters, digits, hyphens and underscores`,
      );
    }
    const value = parameters[name];
    if (typeof value !== 'string') {
      throw new Error(`${prop}.${name} must be a string, got ${typeof value}: pipeline parameters are passed as strings`);
    }
    if (Token.isUnresolved(value)) continue;
    if (value.length === 0 || value.length > PIPELINE_PARAMETER_LIMITS.maxValueLength) {
      throw new Error(
        `${prop}.${name} must be 1-${PIPELINE_PARAMETER_LIMITS.maxValueLength} characters, got ${value.length}: leave it out to use the pipeline's default`,
      );
    }
  }
}

/** Throws unless `timeZone` is an IANA time zone name that this runtime's ICU data knows. */
export function validateTimeZone(timeZone: string, prop = 'timeZone'): void {
  if (Token.isUnresolved(timeZone)) return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new Error(`${prop} must be an IANA time zone name such as Europe/Berlin or America/New_York, got '${timeZone}'`);
  }
}

/** Throws unless `value` is a whole number in [min, max]. */
export function validateIntegerInRange(prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be a whole number between ${min} and ${max}, got ${value}`);
  }
}

/** Throws unless `value` lies in [min, max]. */
export function validateDurationInRange(prop: string, value: Duration, min: Duration, max: Duration): void {
  if (Token.isUnresolved(value.toSeconds())) return;
  const seconds = value.toSeconds();
  if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
    throw new Error(
      `${prop} must be between ${min.toHumanString()} and ${max.toHumanString()}, got ${value.toHumanString()}`,
    );
  }
}
