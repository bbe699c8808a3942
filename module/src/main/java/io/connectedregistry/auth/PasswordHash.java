package io.connectedregistry.auth;

import java.util.Arrays;
import java.util.Base64;

/**
 * A stored password: {@code pbkdf2-sha256$ITERATIONS$SALT$HASH} (salt and hash in base64). The
 * string names its own algorithm and parameters, so the iteration count can be raised later and
 * old hashes still verify.
 */
public final class PasswordHash {

  public static final String ALGORITHM = "pbkdf2-sha256";

  private final int iterations;
  private final byte[] salt;
  private final byte[] hash;

  PasswordHash(int iterations, byte[] salt, byte[] hash) {
    if (iterations < 1 || salt.length == 0 || hash.length == 0) {
      throw new IllegalArgumentException("invalid password hash parameters");
    }
    this.iterations = iterations;
    this.salt = salt.clone();
    this.hash = hash.clone();
  }

  /** Parses a string made by {@link #encoded()}; the message never repeats the input. */
  public static PasswordHash parse(String encoded) {
    String[] parts = encoded == null ? new String[0] : encoded.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(ALGORITHM)) {
      throw new IllegalArgumentException(
          "not a password hash: expected " + ALGORITHM + "$iterations$salt$hash");
    }
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      return new PasswordHash(Integer.parseInt(parts[1]), b64.decode(parts[2]), b64.decode(parts[3]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed " + ALGORITHM + " password hash");
    }
  }

  public String encoded() {
    Base64.Encoder b64 = Base64.getEncoder();
    return ALGORITHM + "$" + iterations + "$" + b64.encodeToString(salt) + "$"
        + b64.encodeToString(hash);
  }

  public int iterations() {
    return iterations;
  }

  public byte[] salt() {
    return salt.clone();
  }

  byte[] hash() {
    return hash.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PasswordHash p && p.iterations == iterations
        && Arrays.equals(p.salt, salt) && Arrays.equals(p.hash, hash);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(salt) + iterations;
  }

  /** Shows the parameters only: the hash is not a secret, but there is no reason to log it. */
  @Override
  public String toString() {
    return ALGORITHM + "$" + iterations + "$…";
  }
}
