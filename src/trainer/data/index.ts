// Entry point of the data layer: `loadDataset` for the trainer, `preflightData` for the CLI and
// launchers (cheap checks before anything is created). No TensorFlow.js here.
import type { Config } from '../../core/config/schema';
import { makeSyntheticDataset } from './synthetic';
import { DataError, type Dataset } from './types';

export * from './types';

export interface LoadOptions {
  /** Called for each non-fatal problem as it is found (also collected in `Dataset.warnings`). */
  onWarning?: (message: string) => void;
}

/** A problem found before a run starts; `message` names the file or config field itself. */
export interface DataIssue {
  level: 'error' | 'warning';
  /** The file or config field path, e.g. `data.maxPerClass`. */
  where: string;
  message: string;
}

/** Reads the data set of `config.data` and makes its long-tailed training split. */
export async function loadDataset(config: Config, _opts: LoadOptions = {}): Promise<Dataset> {
  const data = config.data;
  switch (data.kind) {
    case 'synthetic':
      // The synthetic images are data, not model randomness: they follow the split seed so runs
      // that differ only in `seed` train on the same images.
      return makeSyntheticDataset(data, data.splitSeed);
    default:
      throw new DataError(`data.kind: "${data.kind}" is not readable yet`, 'data.kind');
  }
}

/** Cheap checks of the data a config names; an `error` issue means the run cannot start. */
export async function preflightData(config: Config): Promise<DataIssue[]> {
  void config;
  return [];
}
