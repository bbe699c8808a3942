package io.connectedregistry.auth;

import java.time.Instant;
import java.util.Optional;

/**
 * A freshly generated password: the only time the plaintext exists outside the client. The CLI
 * prints it once; {@link #toString()} hides it so a stray log line cannot leak it.
 */
public record GeneratedPassword(
    String tokenName, PasswordSlot slot, String password, Optional<Instant> expires) {

  @Override
  public String toString() {
    return "GeneratedPassword[token=" + tokenName + ", slot=" + slot + ", password=***]";
  }
}
