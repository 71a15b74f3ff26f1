/** The three recurrent architectures of the lesson, named as PyTorch's modules are. */
export type Arch = 'rnn' | 'gru' | 'lstm';

export const ARCHS: readonly Arch[] = ['rnn', 'gru', 'lstm'];
