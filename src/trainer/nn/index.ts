// Functional building blocks for networks and heads (see layers.ts for why each is written so).
export { ParameterStore, copyParameters, type NamedVariable } from './params';
export { heNormal, normalTensor } from './init';
export {
  Conv2d,
  BatchNorm,
  Dense,
  globalAvgPool,
  avgPool2,
  shortcutDownsample,
  type Conv2dOptions,
  type BatchNormOptions,
  type DenseOptions,
} from './layers';
