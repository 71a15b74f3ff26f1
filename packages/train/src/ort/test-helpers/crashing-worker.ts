// The data-parallel engine's worker, except that the last worker's thread exits (code 3) when its
// second step arrives, as a crash would end it: for the test that a dead worker is a clear error.
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerRequest, WorkerSetup } from '../parallel-protocol.js';
import '../parallel-worker.js';

const setup = workerData as WorkerSetup;
let steps = 0;
parentPort!.on('message', (req: WorkerRequest) => {
  if (req.type === 'step' && ++steps === 2 && setup.index === setup.workers - 1) process.exit(3);
});
