// Seed statistics (mean, sample standard deviation, n, min, max) live with the table code the
// webview shares: src/protocol/experimentsTable.ts.
export { statsOf, type Stats } from '../../protocol/experimentsTable';
