export * from './work-queue-blueprint';
