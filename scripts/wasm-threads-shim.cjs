// Copied for scripts/bench-train.ts --wasm-threads from the team reference
// (threaded wasm in Node, experimental); used by that benchmark only, never by the trainer.
// EXPERIMENT ONLY: make tfjs-backend-wasm 4.22's threaded-SIMD build start in Node.
//
// Out of the box tfjs forces WASM_HAS_MULTITHREAD_SUPPORT=false when IS_NODE
// (tfjs issue #3830).  Forcing the flag to true fails with
//   ERR_WORKER_PATH ... Received "blob:nodedata:..."
// because the backend hands Emscripten a Blob URL for the pthread worker script,
// and Node's worker_threads only accepts file paths / file: / data: URLs.
//
// This shim, installed before tf.setBackend('wasm'), captures the two Blobs the
// backend creates (worker script + main factory script), writes them to a temp
// dir, and returns plain file paths instead of blob: URLs.  No file under
// node_modules is modified.  Not meant for production.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

function install({ doubleCpuCount = true } = {}) {
  // The wasm C++ code caps the XNNPACK pool at emscripten_num_logical_cores()/2
  // (it assumes 2 hyper-threads per core); in Node that is os.cpus().length/2,
  // i.e. ONE thread on a 2-vCPU machine.  Report twice the CPUs so that
  // setThreadsCount(os.cpus().length) can take effect.
  if (doubleCpuCount) {
    const realCpus = os.cpus;
    os.cpus = () => {
      const c = realCpus();
      return c.concat(c);
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-thr-'));
  const RealBlob = globalThis.Blob;
  const texts = new WeakMap();
  let mainScriptPath = null;
  class TextBlob extends RealBlob {
    constructor(parts, opts) {
      super(parts, opts);
      if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) {
        const text = parts.join('');
        texts.set(this, text);
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
          // main factory script, evaluated inside each pthread worker: give it
          // the bundle-level helpers the factory closes over.
          mainScriptPath = path.join(dir, 'main.js');
          fs.writeFileSync(mainScriptPath, 'var require$$0=require("fs"),require$$1=require("path"),commonjsGlobal=globalThis;\n' + text);
        }
      }
    }
  }
  globalThis.Blob = TextBlob;
  const realCreate = URL.createObjectURL.bind(URL);
  let n = 0;
  URL.createObjectURL = (blob) => {
    const text = texts.get(blob);
    if (text === undefined) return realCreate(blob);
    if (text.startsWith('var WasmBackendModuleThreadedSimd')) return mainScriptPath;
    const file = path.join(dir, `blob${n++}.js`);
    {
      // worker bootstrap: load the main script from our file instead of a Blob.
      let t = text;
      if (mainScriptPath) {
        t = t.replace(
          'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}',
          `if(true){importScripts(${JSON.stringify(mainScriptPath)})}`,
        );
      }
      fs.writeFileSync(file, t);
    }
    return file;
  };
  return dir;
}
module.exports = { install };
