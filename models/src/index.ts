export * from './manifest';
export * from './resolve';
export * from './pull';
export * from './taxonomy';
