// Makes GPU failures fatal instead of silent. tfjs-backend-webgpu ignores WebGPU errors: after
// a validation error (e.g. a buffer over the binding limit), an out-of-memory error or a lost
// device it goes on and hands back stale buffer contents (docs/architecture.md, Backends).
// Every number the trainer writes (losses, accuracies, evaluations, checkpoints) reaches the
// host through the backend's `read`, so the guard wraps it: error scopes stay pushed on the
// device at all times, and each read pops them (the spec resolves popErrorScope only once the
// errors of all earlier GPU work are known) before handing values over. A failure throws
// GpuFailureError there, which ends the run as `failed` with the GPU's own message.
// The `uncapturederror` event and `device.lost` are watched too, for work outside any scope.
import { formatMiB } from './webgpuLimits';

const SCOPES = ['validation', 'out-of-memory', 'internal'] as const;

interface GpuError {
  readonly message: string;
}
interface DeviceLostInfo {
  readonly reason: string;
  readonly message: string;
}
/** The parts of a GPUDevice the guard uses. */
export interface GuardedDevice {
  pushErrorScope(filter: (typeof SCOPES)[number]): void;
  popErrorScope(): Promise<GpuError | null>;
  addEventListener(type: 'uncapturederror', listener: (ev: { error: GpuError }) => void): void;
  removeEventListener(type: 'uncapturederror', listener: (ev: { error: GpuError }) => void): void;
  readonly lost: Promise<DeviceLostInfo>;
  readonly limits: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number };
  destroy(): void;
}
/** The parts of tfjs's WebGPUBackend the guard wraps. */
export interface GuardedBackend {
  readonly device: GuardedDevice;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
  readonly tensorMap: { get(dataId: object): { values: unknown } | undefined };
}

/** A GPU error or a lost device: the numbers computed since cannot be trusted. */
export class GpuFailureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuFailureError';
  }
}

export class WebgpuGuard {
  private failure: string | null = null;
  private released = false;
  private readonly original: Pick<GuardedBackend, 'read' | 'readSync'>;
  private readonly onUncaptured = (ev: { error: GpuError }) => this.fail('error', ev.error.message);

  constructor(private readonly backend: GuardedBackend) {
    const device = backend.device;
    this.original = { read: backend.read.bind(backend), readSync: backend.readSync.bind(backend) };
    for (const f of SCOPES) device.pushErrorScope(f);
    device.addEventListener('uncapturederror', this.onUncaptured);
    void device.lost.then((info) => {
      if (!this.released)
        this.fail('device-lost', `the GPU device was lost (${info.reason || 'unknown reason'}): ${info.message || 'no message'}`);
    });
    backend.read = (dataId) => this.guardedRead(dataId);
    backend.readSync = (dataId) => this.guardedReadSync(dataId);
  }

  /** The first failure seen, or null. */
  get failed(): string | null {
    return this.failure;
  }

  /** Throws if a failure has been seen; call it where a result is about to be trusted. */
  async check(): Promise<void> {
    await this.collectScopes();
    this.throwIfFailed();
  }

  private fail(kind: 'validation' | 'out-of-memory' | 'internal' | 'error' | 'device-lost', message: string): void {
    if (this.failure) return;
    const first = message
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 3)
      .join(' ');
    const text = kind === 'device-lost' ? first : `WebGPU ${kind} error: ${first}`;
    const limits = this.backend.device.limits;
    const hint =
      /binding size|maxStorageBufferBindingSize|maxBufferSize|out of memory|OutOfMemory/i.test(message) || kind === 'out-of-memory'
        ? ` Lower optim.batchSize / eval.batchSize (the device binds at most ${formatMiB(limits.maxStorageBufferBindingSize)} per tensor) or train on another backend.`
        : kind === 'device-lost'
          ? ' The driver reset or the GPU was removed; resume the run from its last checkpoint.'
          : '';
    this.failure = `${text.length > 600 ? `${text.slice(0, 600)}...` : text}.${hint} The run was stopped so that no wrong numbers are recorded.`;
  }

  private throwIfFailed(): void {
    if (this.failure) throw new GpuFailureError(this.failure);
  }

  /** Pops the standing error scopes (resolving once earlier GPU work is validated) and pushes new ones. */
  private async collectScopes(): Promise<void> {
    if (this.released) return;
    const device = this.backend.device;
    const pops = SCOPES.map(() => device.popErrorScope());
    for (const f of SCOPES) device.pushErrorScope(f);
    const errors = await Promise.all(
      pops.map((p) => p.catch((e: unknown) => ({ message: `popErrorScope failed: ${e instanceof Error ? e.message : String(e)}` }))),
    );
    // Pops come back innermost first: internal, out-of-memory, validation.
    const kinds = [...SCOPES].reverse();
    errors.forEach((err, i) => {
      if (err) this.fail(kinds[i]!, err.message);
    });
  }

  private async guardedRead(dataId: object): Promise<unknown> {
    this.throwIfFailed();
    let values: unknown;
    try {
      values = await this.original.read(dataId);
    } finally {
      // A guard failure found here wins over the read's own error, which is rethrown otherwise.
      await this.collectScopes();
      this.throwIfFailed();
    }
    return values;
  }

  private guardedReadSync(dataId: object): unknown {
    this.throwIfFailed();
    if (this.backend.tensorMap.get(dataId)?.values != null) return this.original.readSync(dataId);
    // tfjs's synchronous GPU read goes through a browser OffscreenCanvas, which Node lacks.
    throw new Error(
      'a synchronous read (dataSync / arraySync) of a tensor held on the GPU is not possible with WebGPU in Node; read it with `await tensor.data()`',
    );
  }

  /** Stops watching (before the device is destroyed on purpose). */
  release(): void {
    if (this.released) return;
    this.released = true;
    const device = this.backend.device;
    device.removeEventListener('uncapturederror', this.onUncaptured);
    this.backend.read = this.original.read;
    this.backend.readSync = this.original.readSync;
  }
}
