export * from './work-queue';
export * from './stack-alarm-topic';
export * from './stack-dashboard';
export * from './topic-fan-out';
export * from './fan-out-subscription';
export * from './message-broker-engine';
export * from './message-broker';
export * from './amazon-mq-checks';
export * from './queue-processing-fleet';
export * from './backlog-capacity-model';
export * from './capacity-model';
export * from './lambda-sqs-scaling-model';
export * from './encrypted-stream';
export * from './enhanced-fan-out-consumer';
export * from './kcl-application';
export * from './stream-to-s3';
export * from './queue-processing-function';
export * from './stream-processing-function';
export * from './stream-analytics';
export * from './queue-processing-service';
export * from './private-endpoints';
export * from './isolated-vpc';
export * from './decoupling-checks';

// The blueprints are whole stacks: a jsii submodule of their own (`blueprints` in every language),
// so the constructs' namespace holds constructs only.
export * as blueprints from './blueprints';
