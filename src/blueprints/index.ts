export * from './work-queue-blueprint';
export * from './order-fan-out-blueprint';
