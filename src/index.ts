export * from './work-queue';
export * from './stack-alarm-topic';
export * from './blueprints';
export * from './topic-fan-out';
export * from './fan-out-subscription';
