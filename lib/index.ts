export * from './training-pipeline';
export * from './trigger-schedule';
export * from './scheduled-trigger';
export * from './data-arrival-trigger';
export * from './retraining-coordinator';
