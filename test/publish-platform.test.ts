import { detectPlatform } from '../lib/publish/platform';

describe('detectPlatform', () => {
  const noFiles = (): boolean => false;
  const onlyFile = (expected: string) => (file: string): boolean => file === expected;

  test.each<[string, NodeJS.ProcessEnv, (file: string) => boolean, { name: string; deployed: boolean; signal: string }]>([
    ['Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'f' }, noFiles, { name: 'AWS Lambda', deployed: true, signal: 'AWS_LAMBDA_FUNCTION_NAME' }],
    ['ECS', { ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/t' }, noFiles, { name: 'Amazon ECS', deployed: true, signal: 'ECS_CONTAINER_METADATA_URI_V4' }],
    ['Fargate', { AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' }, noFiles, { name: 'Amazon ECS', deployed: true, signal: 'AWS_EXECUTION_ENV' }],
    ['EKS (IRSA)', { AWS_ROLE_ARN: 'arn', AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, noFiles,
      { name: 'Amazon EKS (IAM roles for service accounts)', deployed: true, signal: 'AWS_WEB_IDENTITY_TOKEN_FILE' }],
    ['EKS (Pod Identity)', { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/t' }, noFiles,
      { name: 'Amazon EKS (Pod Identity)', deployed: true, signal: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' }],
    ['a SageMaker training job', { TRAINING_JOB_ARN: 'arn' }, noFiles, { name: 'an Amazon SageMaker training job', deployed: true, signal: 'TRAINING_JOB_ARN' }],
    ['a SageMaker processing job', {}, onlyFile('/opt/ml/config/processingjobconfig.json'),
      { name: 'an Amazon SageMaker processing job', deployed: true, signal: '/opt/ml/config/processingjobconfig.json' }],
    ['a SageMaker notebook instance or Studio app', {}, onlyFile('/opt/ml/metadata/resource-metadata.json'),
      { name: 'a SageMaker notebook or Studio app', deployed: false, signal: '/opt/ml/metadata/resource-metadata.json' }],
    ['a SageMaker notebook job (it runs as a training job)', { TRAINING_JOB_NAME: 'nb-job' }, onlyFile('/opt/ml/metadata/resource-metadata.json'),
      { name: 'an Amazon SageMaker training job', deployed: true, signal: 'TRAINING_JOB_NAME' }],
    ['CodeBuild', { CODEBUILD_BUILD_ID: 'p:1' }, noFiles, { name: 'AWS CodeBuild', deployed: false, signal: 'CODEBUILD_BUILD_ID' }],
    ['GitHub Actions', { GITHUB_ACTIONS: 'true', CI: 'true' }, noFiles, { name: 'GitHub Actions', deployed: false, signal: 'GITHUB_ACTIONS' }],
    ['a CI service', { CI: '1' }, noFiles, { name: 'a CI service', deployed: false, signal: 'CI' }],
  ])('recognises %s', (_label, env, fileExists, platform) => {
    expect(detectPlatform(env, fileExists)).toEqual(platform);
  });

  test.each<[string, NodeJS.ProcessEnv]>([
    ['nothing', {}], ['CI=false', { CI: 'false' }], ['GITHUB_ACTIONS=false', { GITHUB_ACTIONS: 'false' }],
    ['only AWS_ROLE_ARN (a profile, not IRSA)', { AWS_ROLE_ARN: 'arn' }], ['AWS_EXECUTION_ENV of another platform', { AWS_EXECUTION_ENV: 'CloudShell' }],
  ])('recognises no platform from %s', (_label, env) => {
    expect(detectPlatform(env, () => false)).toBeUndefined();
  });

  test('looks at files only when no environment variable told', () => {
    const looked: string[] = [];

    detectPlatform({ AWS_LAMBDA_FUNCTION_NAME: 'f' }, (file) => looked.push(file) > 0);

    expect(looked).toEqual([]);
  });
});
