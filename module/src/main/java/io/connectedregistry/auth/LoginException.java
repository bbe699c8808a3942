package io.connectedregistry.auth;

/**
 * A request's credentials were not accepted. The message is for the operator's log and never
 * contains a secret; the client only learns the {@link Kind}.
 */
public final class LoginException extends RuntimeException {

  public enum Kind {
    /** Missing, malformed or wrong credentials: 401. */
    UNAUTHENTICATED,
    /** A Bearer token that is not ours, expired, or whose token is gone: 401 invalid_token. */
    INVALID_TOKEN,
    /** Too many failed logins from this address: 429. */
    THROTTLED
  }

  private final Kind kind;

  public LoginException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
