export * from './work-queue';
export * from './stack-alarm-topic';
export * from './blueprints';
