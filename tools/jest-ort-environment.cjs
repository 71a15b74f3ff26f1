// onnxruntime-node's native binding creates output typed arrays in Node's main realm, while
// onnxruntime-common (evaluated inside jest's vm context) checks them with `instanceof` against the
// context's constructors and rejects every float32 output. Jest already shares ArrayBuffer and
// Uint8Array with the main realm for the same reason (Buffer); this shares the other typed arrays.
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArrayEnvironment;
