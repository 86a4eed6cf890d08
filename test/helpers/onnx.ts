import fs from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';

/** A real, tiny ONNX model (y = x + 1 over float[1, n]) that onnxruntime-node loads and runs. */
export function writeTinyOnnxModel(file: string, width = 3): void {
  const floatInfo = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({ dim: [{ dimValue: 1 }, { dimValue: width }] }),
        }),
      }),
    });
  const one = onnx.TensorProto.create({
    name: 'one',
    dataType: onnx.TensorProto.DataType.FLOAT,
    dims: [1],
    floatData: [1],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'neuroweaver-tests',
    graph: onnx.GraphProto.create({
      name: 'tiny',
      node: [onnx.NodeProto.create({ opType: 'Add', input: ['x', 'one'], output: ['y'], name: 'add' })],
      initializer: [one],
      input: [floatInfo('x')],
      output: [floatInfo('y')],
    }),
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
}
