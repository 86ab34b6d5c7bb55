// A run's training loss by epoch (metrics.jsonl's epoch records), for a group's loss band in the
// compare panel and reports. Read incrementally: each read takes only the bytes appended since
// the last one, and starts over when the file was replaced (docs/run-folder.md).
import * as path from 'node:path';
import { MetricsTail } from '../metricsLog';
import { runPaths } from '../runDirectory';
import type { SeriesPoint } from './curves';

class LossTrack {
  private readonly tail: MetricsTail;
  private readonly byEpoch = new Map<number, number>();

  constructor(dir: string) {
    this.tail = new MetricsTail(runPaths(dir).metrics).onlyKinds(['epoch']);
  }

  /** The loss of every epoch so far (a repeated epoch, after a resume, keeps its last record); throws what the file read threw. */
  read(): SeriesPoint[] {
    const batch = this.tail.readBatch();
    if (batch.restarted) this.byEpoch.clear();
    for (const r of batch.records) if (r.kind === 'epoch' && Number.isFinite(r.loss)) this.byEpoch.set(r.epoch, r.loss);
    return [...this.byEpoch].sort((a, b) => a[0] - b[0]).map(([epoch, value]) => ({ epoch, value }));
  }
}

/** Loss series by run folder, each kept with its reader so a rebuild reads only what was appended. */
export class LossSeriesCache {
  private readonly tracks = new Map<string, LossTrack>();

  /** The run's loss by epoch; `problems` gets a line when metrics.jsonl cannot be read (the series is then empty). */
  get(dir: string, problems: string[] = []): SeriesPoint[] {
    const key = path.resolve(dir);
    let track = this.tracks.get(key);
    if (!track) {
      track = new LossTrack(key);
      this.tracks.set(key, track);
    }
    try {
      return track.read();
    } catch (err) {
      problems.push(`${path.basename(key)}: metrics.jsonl: ${(err as Error).message}`);
      this.tracks.delete(key);
      return [];
    }
  }
}
