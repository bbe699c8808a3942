package io.connectedregistry.auth;

/**
 * Refusal from the {@link AuthStore}. The {@link Kind} lets the CLI and admin API pick an exit
 * code or HTTP status; the message is meant for the operator and never contains a password.
 */
public final class AuthStoreException extends RuntimeException {

  public enum Kind {
    NOT_FOUND,
    ALREADY_EXISTS,
    LIMIT_EXCEEDED,
    IN_USE,
    NOT_ALLOWED_IN_MODE,
    STORAGE
  }

  private final Kind kind;

  public AuthStoreException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public AuthStoreException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
