/** Names of the fused kernels squid-ts registers (cpu: JavaScript; native: C++). */
export const ADAM_UPDATE = 'SquidAdamUpdate';
export const BATCH_MOMENTS = 'SquidBatchMoments';
export const BATCH_NORM_GRAD = 'SquidBatchNormGrad';
export const RELU_GRAD = 'SquidReluGrad';
