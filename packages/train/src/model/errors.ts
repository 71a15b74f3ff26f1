/** Tensors passed to the model that do not fit its config (wrong dtype, rank, batch or state shape). */
export class ModelInputError extends Error {
  override name = 'ModelInputError';
}
