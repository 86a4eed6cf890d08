import { onnx } from 'onnx-proto';

/** Weights of a softmax classifier: optional hidden ReLU layer, then a linear layer and softmax. */
export interface ClassifierWeights {
  inputDim: number;
  numLabels: number;
  /** [inputDim × hiddenUnits] row-major, and [hiddenUnits]; absent for a linear model. */
  hidden?: { units: number; weights: Float32Array; bias: Float32Array };
  /** [(hidden ? hidden.units : inputDim) × numLabels] row-major. */
  weights: Float32Array;
  bias: Float32Array;
}

const { DataType } = onnx.TensorProto;

function floatTensor(name: string, dims: number[], values: Float32Array) {
  // raw_data (little-endian float32) is the compact encoding onnxruntime reads directly.
  return onnx.TensorProto.create({
    name,
    dataType: DataType.FLOAT,
    dims,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  });
}

function floatMatrixInfo(name: string, batch: string, width: number) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: [{ dimParam: batch }, { dimValue: width }] }),
      }),
    }),
  });
}

/**
 * Serialises the classifier as an ONNX model (opset 13): input `features` [batch, inputDim],
 * output `probabilities` [batch, numLabels]. The graph is what onnxruntime-node serves.
 */
export function classifierToOnnx(w: ClassifierWeights, producer: string): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let current = 'features';
  let width = w.inputDim;
  if (w.hidden) {
    initializers.push(
      floatTensor('hidden_w', [w.inputDim, w.hidden.units], w.hidden.weights),
      floatTensor('hidden_b', [w.hidden.units], w.hidden.bias),
    );
    nodes.push(
      onnx.NodeProto.create({
        opType: 'MatMul',
        input: [current, 'hidden_w'],
        output: ['hidden_mm'],
        name: 'hidden_matmul',
      }),
      onnx.NodeProto.create({
        opType: 'Add',
        input: ['hidden_mm', 'hidden_b'],
        output: ['hidden_pre'],
        name: 'hidden_add',
      }),
      onnx.NodeProto.create({ opType: 'Relu', input: ['hidden_pre'], output: ['hidden'], name: 'hidden_relu' }),
    );
    current = 'hidden';
    width = w.hidden.units;
  }
  initializers.push(floatTensor('out_w', [width, w.numLabels], w.weights), floatTensor('out_b', [w.numLabels], w.bias));
  nodes.push(
    onnx.NodeProto.create({ opType: 'MatMul', input: [current, 'out_w'], output: ['logits_mm'], name: 'out_matmul' }),
    onnx.NodeProto.create({ opType: 'Add', input: ['logits_mm', 'out_b'], output: ['logits'], name: 'out_add' }),
    onnx.NodeProto.create({
      opType: 'Softmax',
      input: ['logits'],
      output: ['probabilities'],
      name: 'softmax',
      attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
    }),
  );
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: producer,
    graph: onnx.GraphProto.create({
      name: 'neuroweaver_classifier',
      node: nodes,
      initializer: initializers,
      input: [floatMatrixInfo('features', 'batch', w.inputDim)],
      output: [floatMatrixInfo('probabilities', 'batch', w.numLabels)],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
