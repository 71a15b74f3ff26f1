// Gate counts are a layout fact of contract 1, written once in @charrnn/contract's cell shapes;
// re-exported here, where the cells' graph functions live.
export { type Arch, gateCount } from '@charrnn/contract';
