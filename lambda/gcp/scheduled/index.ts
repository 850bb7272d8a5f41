import {
  log, receivePush, respondStartFailed, type FunctionRequest, type FunctionResponse,
} from '../adapters/functions-framework';
import { MetadataTokenSource } from '../adapters/metadata-token';
import { pipelineJobRequest, VertexPipelines } from '../adapters/vertex-pipelines';
import { jobLabels, pipelineJobId } from '../../core/pipeline-job';
import { parseFiring } from '../../core/scheduled-firing';
import { parseTriggerConfig } from '../../core/contracts/google-functions';

const pipelines = new VertexPipelines(new MetadataTokenSource(Date.now));

/**
 * Cloud Scheduler -> Pub/Sub -> push subscription -> this function: creates one Vertex AI pipeline job per firing.
 * The job id comes from the trigger and the Pub/Sub message id, which every redelivery of a firing keeps, so a
 * redelivery meets the job its first delivery created. Answers: 200 created / already-existed / rejected (bad input,
 * never retried) / failed (Vertex refused for good); 500 retry (transient) and misconfigured (both redelivered).
 */
export async function handler(req: FunctionRequest, res: FunctionResponse): Promise<void> {
  const received = receivePush(req, res, 'TRIGGER_CONFIG', parseTriggerConfig, (message, trigger) => parseFiring(message.data, trigger.triggerId));
  if (!received) return;
  const { trigger, message, content: firing, context } = received;

  const jobId = pipelineJobId(trigger.triggerId, 'scheduled', [message.messageId]);
  try {
    const job = await pipelines.createPipelineJob(pipelineJobRequest(trigger, jobId, trigger.parameters, jobLabels(trigger.triggerId, 'scheduled')));
    const status = job.alreadyExisted ? 'already-existed' : 'created';
    log('INFO', job.alreadyExisted ? 'the firing was delivered again: its pipeline job exists' : 'created the pipeline job', {
      ...context, scheduledTime: firing.scheduledTime, pipelineJob: job.name, status,
    });
    res.status(200).json({ status, pipelineJobId: jobId, pipelineJob: job.name });
  } catch (error) {
    respondStartFailed(res, error, { ...context, pipelineJobId: jobId });
  }
}
