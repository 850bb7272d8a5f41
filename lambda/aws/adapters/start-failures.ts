import { describeError } from './pipeline-starter';

/** Errors after which the same start, with the same token, may well succeed later. */
const RETRYABLE = new Set([
  'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'InternalFailure', 'InternalServerError', 'ServiceUnavailable', 'RequestTimeout', 'TimeoutError',
]);

/**
 * Whether a failed start should keep its reservation for a retry with the same token. An error that
 * SageMaker did not answer (network, a dying runtime) keeps it too: the start may have happened.
 */
export function isRetryableStartError(error: unknown): boolean {
  const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = failure?.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500 || RETRYABLE.has(failure?.name ?? '');
}

/** `AccessDeniedException: Not authorized ...`: what the decision log keeps of a failed start. */
export function startErrorText(error: unknown): string {
  const { name, message } = describeError(error);
  return `${name}: ${message}`;
}
