export * from './observation';
export * from './traffic';
export * from './device';
export * from './topics';
export * from './geo';
export * from './validate';
export * from './ids';
export * from './json-schema';
