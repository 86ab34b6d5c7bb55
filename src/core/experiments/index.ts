// The experiments table's core (docs/architecture.md): pure, shared by the Experiments panel,
// `gpaco ls` and `gpaco report`.
export * from './curves';
export * from './meta';
export * from './stats';
export * from './summary';
export * from './table';
