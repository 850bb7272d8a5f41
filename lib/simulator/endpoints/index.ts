export * from './loopback';
export * from './aws-json';
export * from './sagemaker';
export * from './ssm';
export * from './lambda';
export * from './sns';
export * from './stores';
