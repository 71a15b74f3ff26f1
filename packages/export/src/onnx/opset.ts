/**
 * The IR version released together with `opset` (ONNX's versioning table: 1.9 → IR 7 / opset 14,
 * 1.10–1.13 → IR 8 / 15–18, 1.14–1.15 → IR 9 / 19–20, 1.16 → IR 10 / 21). Writing the oldest IR
 * that knows the opset keeps the file loadable by the oldest runtime that could run it.
 */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}
