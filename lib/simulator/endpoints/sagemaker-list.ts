/** ListPipelineExecutions as SageMaker's service model states it: filters, sort, pages. */
import { createHash } from 'node:crypto';
import type { AwsJsonReply } from './aws-json';
import { isObject, pipelineNameOf } from './sagemaker-requests';

/** A pipeline execution's status (`PipelineExecutionStatus` in the service model). */
export type PipelineExecutionStatus = 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';
export const EXECUTION_STATUSES: readonly PipelineExecutionStatus[] = ['Executing', 'Stopping', 'Stopped', 'Failed', 'Succeeded'];

/** One execution as the list reads it. */
export interface ListedExecution {
  readonly executionArn: string;
  readonly pipelineName: string;
  /** Milliseconds since the epoch: its creation and start time. */
  readonly startedAt: number;
  readonly status: PipelineExecutionStatus;
  readonly displayName?: string;
  readonly description?: string;
  readonly failureReason?: string;
}

/** The page size when the request names none: small, so that a caller that does not page is caught. */
const DEFAULT_MAX_RESULTS = 10;
const SORT_BY = ['CreationTime', 'PipelineExecutionArn'];
const SORT_ORDER = ['Ascending', 'Descending'];

interface Query {
  readonly pipelineName: string;
  readonly afterMs: number;
  readonly beforeMs: number;
  readonly sortBy: string;
  readonly sortOrder: string;
}

/**
 * Answers one ListPipelineExecutions request over `executions` (in the order they were created): those of the
 * pipeline (a name or an ARN) created at or after `CreatedAfter` and before `CreatedBefore` (epoch seconds, as
 * the SDK sends timestamps), sorted by `SortBy` (default CreationTime) in `SortOrder` (default Descending), at
 * most `MaxResults` (1-100) a page, with a `NextToken` that is good only for the same query.
 */
export function listExecutions(rawBody: string, executions: readonly ListedExecution[]): AwsJsonReply {
  let body: unknown;
  try {
    body = JSON.parse(rawBody === '' ? '{}' : rawBody);
  } catch {
    return failure('SerializationException', 'Body is not JSON');
  }
  if (!isObject(body)) return failure('SerializationException', 'Body is not a JSON object');
  const { PipelineName, CreatedAfter, CreatedBefore, SortBy, SortOrder, MaxResults, NextToken } = body;
  if (typeof PipelineName !== 'string' || PipelineName.length < 1 || PipelineName.length > 2048) return invalid('pipelineName', 'Member must have length between 1 and 2048');
  for (const [field, value] of [['createdAfter', CreatedAfter], ['createdBefore', CreatedBefore]] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) return failure('SerializationException', `${field} must be a timestamp`);
  }
  if (SortBy !== undefined && !SORT_BY.includes(String(SortBy))) return invalid('sortBy', `Member must satisfy enum value set: [${SORT_BY.join(', ')}]`);
  if (SortOrder !== undefined && !SORT_ORDER.includes(String(SortOrder))) return invalid('sortOrder', `Member must satisfy enum value set: [${SORT_ORDER.join(', ')}]`);
  if (MaxResults !== undefined && (typeof MaxResults !== 'number' || !Number.isInteger(MaxResults) || MaxResults < 1 || MaxResults > 100)) {
    return invalid('maxResults', 'Member must have value between 1 and 100');
  }
  const query: Query = {
    pipelineName: pipelineNameOf(PipelineName),
    afterMs: typeof CreatedAfter === 'number' ? CreatedAfter * 1000 : -Infinity,
    beforeMs: typeof CreatedBefore === 'number' ? CreatedBefore * 1000 : Infinity,
    sortBy: typeof SortBy === 'string' ? SortBy : 'CreationTime',
    sortOrder: typeof SortOrder === 'string' ? SortOrder : 'Descending',
  };
  const offset = NextToken === undefined || NextToken === '' ? 0 : offsetOf(NextToken, query);
  if (offset === undefined) return invalid('nextToken', 'The token is not valid for this request');
  const matching = executions
    .map((execution, created) => ({ execution, created }))
    .filter(({ execution }) => execution.pipelineName === query.pipelineName && execution.startedAt >= query.afterMs && execution.startedAt < query.beforeMs)
    .sort((a, b) => compare(a, b, query.sortBy) * (query.sortOrder === 'Descending' ? -1 : 1));
  const size = typeof MaxResults === 'number' ? MaxResults : DEFAULT_MAX_RESULTS;
  const page = matching.slice(offset, offset + size).map(({ execution: e }) => ({
    PipelineExecutionArn: e.executionArn,
    StartTime: e.startedAt / 1000,
    PipelineExecutionStatus: e.status,
    ...(e.displayName !== undefined ? { PipelineExecutionDisplayName: e.displayName } : {}),
    ...(e.description !== undefined ? { PipelineExecutionDescription: e.description } : {}),
    ...(e.failureReason !== undefined ? { PipelineExecutionFailureReason: e.failureReason } : {}),
  }));
  const next = offset + size < matching.length ? tokenOf(offset + size, query) : undefined;
  return { status: 200, body: { PipelineExecutionSummaries: page, ...(next ? { NextToken: next } : {}) } };
}

type Indexed = { readonly execution: ListedExecution; readonly created: number };

/** Creation time, then creation order (two executions created in one millisecond keep theirs); or the ARN. */
function compare(a: Indexed, b: Indexed, sortBy: string): number {
  if (sortBy === 'PipelineExecutionArn') return a.execution.executionArn < b.execution.executionArn ? -1 : a.execution.executionArn > b.execution.executionArn ? 1 : 0;
  return a.execution.startedAt - b.execution.startedAt || a.created - b.created;
}

/** A token names where the next page starts and the query it belongs to. */
function tokenOf(offset: number, query: Query): string {
  return Buffer.from(JSON.stringify({ offset, query: digest(query) })).toString('base64');
}

function offsetOf(token: unknown, query: Query): number | undefined {
  if (typeof token !== 'string' || token.length > 8192) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as unknown;
    if (!isObject(parsed) || parsed.query !== digest(query) || !Number.isInteger(parsed.offset) || (parsed.offset as number) < 0) return undefined;
    return parsed.offset as number;
  } catch {
    return undefined;
  }
}

function digest(query: Query): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('hex').slice(0, 16);
}

function invalid(field: string, constraint: string): AwsJsonReply {
  return failure('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`);
}

function failure(name: string, message: string): AwsJsonReply {
  return { status: 400, body: { __type: name, message }, error: name };
}
