package io.connectedregistry.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
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

  /**
   * Names this password, not its slot: a new password in the slot has a new salt, so a new
   * fingerprint. Refresh tokens carry it, so they die with the password they were issued for.
   * Derived from the stored hash only, and truncated: it tells nothing about the password.
   */
  public String fingerprint() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(hash.encoded().getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 12));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** A password is expired from its expiry instant on. */
  public boolean expiredAt(Instant now) {
    return expires.isPresent() && !now.isBefore(expires.get());
  }
}
