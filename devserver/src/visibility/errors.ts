/**
 * The one error this module raises. Its message is exactly what the Temporal server puts in the
 * INVALID_ARGUMENT status for the same query (`invalid query: <category>: <detail>`), so the devserver can
 * pass it through unchanged.
 */
export class VisibilityQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VisibilityQueryError';
  }
}

// The server's three message categories (common/persistence/visibility/store/query/errors.go).
const MALFORMED = 'malformed SQL query';
const NOT_SUPPORTED = 'operation is not supported';
const INVALID_EXPRESSION = 'invalid expression';

const invalidQuery = (detail: string) => new VisibilityQueryError(`invalid query: ${detail}`);

/** The SQL text could not be parsed (syntax error, nesting limit). */
export const malformedQuery = (detail: string) => invalidQuery(`${MALFORMED}: ${detail}`);

/** Well-formed SQL that visibility does not support (LIMIT, functions, an operator for a type, ...). */
export const notSupported = (detail: string) => invalidQuery(`${NOT_SUPPORTED}: ${detail}`);

/** An expression that cannot mean anything (unknown attribute, value of the wrong type, ...). */
export const invalidExpression = (detail: string) => invalidQuery(`${INVALID_EXPRESSION}: ${detail}`);
