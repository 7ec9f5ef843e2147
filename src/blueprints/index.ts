export * from './work-queue-blueprint';
export * from './order-fan-out-blueprint';
export * from './broker-migration-blueprint';
export * from './video-encoding-blueprint';
export * from './telemetry-blueprint';
export * from './private-workers-blueprint';
