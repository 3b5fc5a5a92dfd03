// What a formula syntax error reports, and the internal signal the parser throws to abort with one.

export interface FormulaSyntaxError {
  message: string;
  /** Offset of the offending token in the source. */
  offset: number;
  /** Length of the offending token (0 at the end of the text). */
  length: number;
  didYouMean?: string;
}

/** Thrown inside the lexer/parser and caught by parseFormula, which turns it into a result value. */
export class FormulaSyntaxFailure extends Error {
  constructor(readonly detail: FormulaSyntaxError) {
    super(detail.message);
  }
}

export function syntaxFailure(message: string, offset: number, length: number, didYouMean?: string): FormulaSyntaxFailure {
  return new FormulaSyntaxFailure(didYouMean === undefined ? { message, offset, length } : { message, offset, length, didYouMean });
}
