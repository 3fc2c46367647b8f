export * from './observation';
export * from './topics';
export * from './validate';
export * from './ids';
export * from './json-schema';
