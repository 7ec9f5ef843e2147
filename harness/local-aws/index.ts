/** Embedded local AWS (moto) for tests: start a server, deploy CDK stacks into it, fill moto's gaps. */
export * from './runner';
export * from './deployer';
export { fillGaps } from './fill-gaps';
export type { FillGapsResult } from './fill-gaps';
