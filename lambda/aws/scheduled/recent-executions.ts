import { ListPipelineExecutionsCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { ExecutionSummary } from '../../core/scheduled-check';

/** What a look-back found: the first execution the predicate took, or none, or that it stopped before the end. */
export type LookBack =
  | { readonly found: ExecutionSummary }
  | { readonly found?: undefined; readonly complete: true }
  /** It read `read` executions without finding one and SageMaker had more: too many to say. */
  | { readonly found?: undefined; readonly complete: false; readonly read: number };

/** Pages of 100 a look-back reads at most: 1,000 executions. */
export const MAX_PAGES = 10;

/** A pipeline's executions created after a time, newest first (ListPipelineExecutions). */
export class RecentExecutions {
  constructor(private readonly client: Pick<SageMakerClient, 'send'>) {}

  /** The newest execution of `pipelineName` created at or after `sinceMs` that `counts` takes. */
  async newest(pipelineName: string, sinceMs: number, counts: (page: readonly ExecutionSummary[]) => ExecutionSummary | undefined): Promise<LookBack> {
    let nextToken: string | undefined;
    let read = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.client.send(
        new ListPipelineExecutionsCommand({
          PipelineName: pipelineName,
          CreatedAfter: new Date(sinceMs),
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      const summaries = (response.PipelineExecutionSummaries ?? []).flatMap((summary): ExecutionSummary[] =>
        summary.PipelineExecutionArn
          ? [{ executionArn: summary.PipelineExecutionArn, status: summary.PipelineExecutionStatus ?? 'unknown', ...(summary.StartTime ? { startMs: summary.StartTime.getTime() } : {}) }]
          : [],
      );
      read += summaries.length;
      const found = counts(summaries);
      if (found) return { found };
      nextToken = response.NextToken;
      if (!nextToken) return { complete: true };
    }
    return { complete: false, read };
  }
}
