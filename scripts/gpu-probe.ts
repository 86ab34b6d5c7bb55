// Prints what the GPU check needs to know about the machine (scripts/gpu-check.sh): Node, CPUs,
// and the WebGPU adapter the trainer's own backend selection finds (vendor, architecture,
// description, software emulation or not, buffer limits). Exit 1 when there is none.
import * as os from 'node:os';
import { selectBackend } from '../src/trainer/backends';
import { availableCpus } from '../src/core/parallel';

async function main(): Promise<number> {
  console.log(
    `node ${process.version} on ${os.platform()}-${os.arch()}, ${availableCpus()} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );
  try {
    const b = await selectBackend('webgpu');
    console.log(`backend: ${b.detail}`);
    if (b.adapter) console.log(`adapter: ${JSON.stringify(b.adapter)}`);
    if (b.gpuLimits)
      console.log(
        `limits: max storage buffer binding ${(b.gpuLimits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB, max buffer ${(b.gpuLimits.maxBufferSize / 2 ** 20).toFixed(0)} MiB`,
      );
    return 0;
  } catch (e) {
    console.log(`no WebGPU adapter: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
