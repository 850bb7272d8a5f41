export * from './vertex-pipeline';
export * from './vertex-scheduled-trigger';
export * from './vertex-drift-trigger';
export * from './vertex-data-arrival-trigger';
export * from './trigger-function';
