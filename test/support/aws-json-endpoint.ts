// The AWS JSON endpoint and the loopback helpers ship with the simulator; the tests use the same ones.
export { startAwsJsonEndpoint, type AwsJsonReply, type AwsJsonServe } from '../../lib/simulator/endpoints/aws-json';
export { closeServer, endpointOf, listenOnLoopback } from '../../lib/simulator/endpoints/loopback';
