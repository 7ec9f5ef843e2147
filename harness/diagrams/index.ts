export * from './blueprint-app';
export * from './diagram';
export * from './flows';
export * from './render';
