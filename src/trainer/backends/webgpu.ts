// The WebGPU slot of the backend order (Dawn's Node bindings, npm `webgpu`; see
// reference/webgpu-node.md). Another issue implements it: replace `webgpuProvider` below with a
// provider that creates the adapter, refuses software adapters under `auto`, registers
// @tensorflow/tfjs-backend-webgpu and returns the adapter facts in `adapter`.
import { type BackendProvider, BackendUnavailable } from './types';

export const webgpuProvider: BackendProvider = {
  id: 'webgpu',
  activate(): Promise<never> {
    return Promise.reject(new BackendUnavailable('WebGPU is not supported by this build yet'));
  },
};
