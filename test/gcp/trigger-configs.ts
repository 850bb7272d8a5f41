/** The Vertex AI pipeline the GCP functions' tests start, in the shape every function's configuration shares. */
const PIPELINE = {
  project: 'ml-prod-481',
  region: 'europe-west4',
  templateUri: 'https://europe-west4-kfp.pkg.dev/ml-prod-481/pipelines/churn-training/v3',
  pipelineName: 'churn-training',
};

/** The batcher's BATCHER_CONFIG: batches of three objects landing under incoming/, or whatever arrived in five minutes. */
export const BATCHER_CONFIG = {
  triggerId: 'churn-arrivals',
  ...PIPELINE,
  bucket: 'ml-prod-481-landing',
  prefix: 'incoming/',
  batchSize: 3,
  batchWindowSeconds: 300,
  manifestBucket: 'ml-prod-481-manifests',
  manifestPrefix: 'manifests/',
  parameters: { Epochs: '20' },
};

/** The scheduled function's TRIGGER_CONFIG. */
export const SCHEDULED_CONFIG = {
  triggerId: 'churn-nightly',
  ...PIPELINE,
  parameters: { Epochs: '20' },
};

export const DRIFT_METRIC = 'custom.googleapis.com/model_monitoring/feature_drift';

/** The drift function's DRIFT_SETTINGS: drift of the churn model's features, as Cloud Monitoring reports it. */
export const DRIFT_SETTINGS = {
  triggerId: 'churn-drift',
  project: 'ml-prod-481',
  region: 'us-central1',
  templateUri: 'gs://ml-prod-481-pipelines/churn-training.yaml',
  pipelineName: 'churn-retrain',
  drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 } },
  parameters: { Epochs: '20' },
  reviewTopic: 'projects/ml-prod-481/topics/drift-review',
  source: { metricType: DRIFT_METRIC, policyName: 'churn feature drift' },
};
