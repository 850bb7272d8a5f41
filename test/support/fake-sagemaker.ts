// The local SageMaker ships with the simulator; the tests start the same one under the name they know it by.
export {
  startLocalSageMaker as startFakeSageMaker,
  type FailureKind,
  type LocalSageMaker as FakeSageMaker,
  type LocalSageMakerOptions as FakeSageMakerOptions,
  type RecordedCall,
  type RecordedExecution,
  type SageMakerErrorName,
  type StartedRun,
  type StartOutcome,
} from '../../lib/simulator/endpoints/sagemaker';
