const { TestEnvironment } = require('jest-environment-node');

/**
 * Jest's node environment gives each test file its own typed-array constructors, so a Float32Array
 * made in a test is not `instanceof` the one onnxruntime-node checks against. Sharing the outer
 * realm's constructors makes tensors built in tests and activities acceptable to it.
 */
class SharedTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of [
      'ArrayBuffer',
      'Float32Array',
      'Float64Array',
      'Int8Array',
      'Int16Array',
      'Int32Array',
      'Uint8Array',
      'Uint16Array',
      'Uint32Array',
      'Uint8ClampedArray',
      'BigInt64Array',
      'BigUint64Array',
    ]) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = SharedTypedArraysEnvironment;
