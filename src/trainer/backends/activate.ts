// tf.setBackend swallows initialisation errors (it logs a warning and returns false); this
// captures those warnings so the reason can be reported.
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailable } from './types';

export async function setBackendOrThrow(name: string): Promise<void> {
  const messages: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    messages.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new BackendUnavailable(`initialisation failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    console.warn = warn;
  }
  if (!ok) {
    // The warnings are "Initialization of backend X failed" then the error's stack; keep the error line.
    const detail = messages.map((m) => m.split('\n')[0]!).filter((m) => !/^Initialization of backend/.test(m));
    throw new BackendUnavailable(`initialisation failed${detail.length ? `: ${detail.join('; ')}` : ''}`);
  }
}
