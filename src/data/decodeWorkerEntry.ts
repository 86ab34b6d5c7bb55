// A decode worker thread (started by decodePool.ts): reads image files and decodes + resizes each
// into the shared output buffer of its job. Undecodable files are reported, not fatal.
import { parentPort, workerData } from 'node:worker_threads';
import { errorReason, readRunFile } from '../core/runFile';
import type { DecodeDone, DecodeJob, DecodeWorkerInit } from './decodeProtocol';
import { decodeToModelInput } from './imageDecode';

const init = workerData as DecodeWorkerInit;
let jobs = 0;

function run(job: DecodeJob): DecodeDone {
  const out = new Uint8Array(job.out);
  const bytes = job.size * job.size * job.channels;
  const failed: DecodeDone['failed'] = [];
  job.files.forEach((file, k) => {
    let buf: Buffer;
    try {
      buf = readRunFile('data', file);
    } catch (err) {
      // Zero, as documented: the output buffer may be reused and hold an older image here.
      out.fill(0, job.offset + k * bytes, job.offset + (k + 1) * bytes);
      failed.push({ k, reason: `cannot read (${errorReason(err)})` });
      return;
    }
    try {
      decodeToModelInput(buf, job.size, job.channels, out, job.offset + k * bytes);
    } catch (err) {
      out.fill(0, job.offset + k * bytes, job.offset + (k + 1) * bytes);
      failed.push({ k, reason: `cannot decode (${(err as Error).message})` });
    }
  });
  return { kind: 'done', id: job.id, failed };
}

parentPort!.on('message', (job: DecodeJob) => {
  jobs++;
  if (init.exitAtJob !== undefined && jobs >= init.exitAtJob) process.exit(70);
  parentPort!.postMessage(run(job));
});
