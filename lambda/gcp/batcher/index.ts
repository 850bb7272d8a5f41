import { CloudStorage } from '../adapters/gcs';
import { MetadataTokenSource } from '../adapters/metadata-token';
import { VertexPipelines } from '../adapters/vertex-pipelines';
import { batcherHandler } from './handler';

const tokens = new MetadataTokenSource(Date.now);

/** The batcher's entry point: the real clock and Google APIs, wired once per instance. */
export const handler = batcherHandler({ tokens, storage: new CloudStorage(tokens), pipelines: new VertexPipelines(tokens), now: Date.now });
