import { ConflictError, NotFoundError, SiphonError } from '../plugin/errors.js';

/**
 * A request the REST API refuses as it is (a bad query parameter, body or connector
 * name); answers 400, like Kafka Connect's BadRequestException.
 */
export class BadRequestError extends SiphonError {
  override readonly name: string = 'BadRequestError';

  constructor(message: string) {
    super(message, false);
  }
}

/**
 * The HTTP status Kafka Connect answers for an error of the model: 400 for a bad
 * request, 404 for what does not exist, 409 for a conflict (it exists already, the
 * connector must be stopped first, a rebalance is in progress); undefined for the rest,
 * which the REST layer answers as the HTTP layer's own error or 500.
 */
export function restStatusOf(error: unknown): number | undefined {
  if (error instanceof BadRequestError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  return undefined;
}
