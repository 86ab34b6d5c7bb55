// WebGPU in the tests: the cached software driver (scripts/setup-webgpu-driver.sh, which
// .ci/run calls) is found by itself. When no adapter can be had the WebGPU tests FAIL, so CI
// can never pass without exercising the GPU code path. A developer machine without the driver
// can opt out with GPACO_TEST_WEBGPU=optional: the tests are then reported as SKIPPED with the
// reason (never passed silently).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { NoBackendError, describeAttempt, selectBackend, type SelectedBackend } from '../../../src/trainer/backends';
import { SETUP_SCRIPT, useCachedSoftwareDriver } from '../../../scripts/webgpuDriver';

export const REPO = path.resolve(__dirname, '../../..');
export const OPT_OUT = 'GPACO_TEST_WEBGPU';

const driver = useCachedSoftwareDriver(REPO);

export function webgpuOptional(): boolean {
  return process.env[OPT_OUT] === 'optional';
}

let probe: Promise<{ ok: true; backend: SelectedBackend } | { ok: false; reason: string }> | null = null;

/** Activates the webgpu backend once per process (named: a software adapter is accepted). */
export function probeWebgpu(): Promise<{ ok: true; backend: SelectedBackend } | { ok: false; reason: string }> {
  probe ??= selectBackend('webgpu', { failBackends: [] }).then(
    (backend) => ({ ok: true as const, backend }),
    (e: unknown) => ({ ok: false as const, reason: e instanceof NoBackendError ? e.attempts.map(describeAttempt).join('; ') : String(e) }),
  );
  return probe;
}

/**
 * The webgpu backend for a test, made current; null when it is unavailable and the developer
 * opted out (the test is then marked skipped with the reason). Otherwise a missing adapter
 * fails the test with what to do.
 */
export async function requireWebgpu(t: TestContext): Promise<SelectedBackend | null> {
  const p = await probeWebgpu();
  if (p.ok) {
    await selectBackend('webgpu', { failBackends: [] });
    return p.backend;
  }
  const why = `no WebGPU adapter: ${p.reason}. Driver: ${driver.detail}.`;
  if (webgpuOptional()) {
    t.skip(`WEBGPU NOT TESTED (${OPT_OUT}=optional): ${why}`);
    return null;
  }
  assert.fail(
    `${why} Install the software driver with \`${SETUP_SCRIPT}\` (CI does this in .ci/run; needs libvulkan1 and libllvm15), ` +
      `or set VK_ICD_FILENAMES to a Vulkan driver; on a machine where WebGPU cannot run, set ${OPT_OUT}=optional to skip these tests visibly.`,
  );
}
