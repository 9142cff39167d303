/** Names of the fused kernels squid-ts registers (cpu: JavaScript; native: C++). */
export const ADAM_UPDATE = 'SquidAdamUpdate';
export const BATCH_MOMENTS = 'SquidBatchMoments';
export const BATCH_NORM_GRAD = 'SquidBatchNormGrad';
export const RELU_GRAD = 'SquidReluGrad';
export const CONV_ADD_RELU = 'SquidConvAddRelu';
export const RESIDUAL_BLOCK = 'SquidResidualBlock';
export const PER_IMAGE_NORM = 'SquidPerImageNorm';
export const SHRINK_TOP_K = 'SquidShrinkTopK';
export const SPARSE_READ = 'SquidSparseRead';
export const LAYER_NORM = 'SquidLayerNorm';
