export * from './azure-ml-pipeline';
export * from './azure-ml-scheduled-trigger';
export * from './blob-data-arrival-trigger';
export * from './azure-ml-drift-trigger';
export * from './azure-ml-chain-trigger';
export * from './trigger-function';
