package io.connectedregistry.sync;

/**
 * The parent cannot be reached: connections fail or time out (after the retries), or the circuit
 * breaker is open and the call was not even tried. Sync treats this as "Offline", not as an error
 * in the content.
 */
public final class ParentUnavailableException extends RuntimeException {
  public ParentUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
