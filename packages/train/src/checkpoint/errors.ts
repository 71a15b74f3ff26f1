/** A checkpoint file or directory that cannot be read or does not fit the model contract. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}
