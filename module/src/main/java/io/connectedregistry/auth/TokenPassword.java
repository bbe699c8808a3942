package io.connectedregistry.auth;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** One of a token's passwords, stored as a hash only. */
public record TokenPassword(
    PasswordSlot slot, PasswordHash hash, Instant created, Optional<Instant> expires) {

  public TokenPassword {
    Objects.requireNonNull(slot, "slot");
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(expires, "expires");
  }

  /** A password is expired from its expiry instant on. */
  public boolean expiredAt(Instant now) {
    return expires.isPresent() && !now.isBefore(expires.get());
  }
}
