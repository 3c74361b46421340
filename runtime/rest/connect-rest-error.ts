/**
 * An error with the HTTP status Kafka Connect would answer; the REST layer turns it
 * into `{"error_code": status, "message": message}`.
 */
export class ConnectRestError extends Error {
  override readonly name = 'ConnectRestError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  static notFound(what: string): ConnectRestError {
    return new ConnectRestError(404, what);
  }

  static connectorNotFound(name: string): ConnectRestError {
    return new ConnectRestError(404, `Connector ${name} not found`);
  }
}
