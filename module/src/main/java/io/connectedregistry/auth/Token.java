package io.connectedregistry.auth;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A client token: a user name for login, its passwords (hashes only), status and scope map. */
public record Token(
    String name, String scopeMapName, TokenStatus status, List<TokenPassword> passwords,
    Instant created) {

  public Token {
    Names.check("token", name);
    Names.check("scope map", scopeMapName);
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(created, "created");
    passwords = List.copyOf(passwords);
    if (passwords.size() > PasswordSlot.values().length) {
      throw new IllegalArgumentException("a token has at most two passwords");
    }
  }

  public Optional<TokenPassword> password(PasswordSlot slot) {
    return passwords.stream().filter(p -> p.slot() == slot).findFirst();
  }

  public boolean enabled() {
    return status == TokenStatus.ENABLED;
  }
}
