// Entry point of a trainer worker thread (bundled as dist/trainer-worker.js).
import { runWorker } from './workerMain';

runWorker();
