export * from './training-pipeline';
export * from './trigger-schedule';
export * from './scheduled-trigger';
export * from './data-arrival-trigger';
export * from './retraining-coordinator';
export * from './drift-source';
export * from './drift-trigger';
export * from './promotion-guardrail';
