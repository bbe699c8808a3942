package io.connectedregistry.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Hashes and verifies token passwords with PBKDF2-HMAC-SHA256 from the JDK (no extra dependency
 * to keep patched).
 *
 * <p><b>Slow on purpose.</b> {@value #DEFAULT_ITERATIONS} iterations is OWASP's 2023
 * recommendation for PBKDF2-HMAC-SHA256: a stolen {@code auth.db} then costs an attacker about as
 * much per guess as bcrypt would. One hash takes tens to hundreds of milliseconds, so callers must
 * never call {@link #hash} or {@link #verify} on a Vert.x event loop (use a worker), and the HTTP
 * layer must cache verified credentials (e.g. issue a short-lived bearer token, or remember a
 * successful Basic login keyed by a fast hash of the credentials) instead of hashing per request.
 *
 * <p>Generated passwords carry 256 random bits, so the slow hash protects operator-chosen
 * passwords set through {@code setPassword}, not generated ones.
 */
public class PasswordHasher {

  public static final int DEFAULT_ITERATIONS = 210_000;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  private static final int PASSWORD_BYTES = 32;

  private final int iterations;
  private final SecureRandom random = new SecureRandom();

  public PasswordHasher() {
    this(DEFAULT_ITERATIONS);
  }

  /** A lower count is for tests only; verification always uses the count stored in the hash. */
  public PasswordHasher(int iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be positive");
    }
    this.iterations = iterations;
  }

  public PasswordHash hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return new PasswordHash(iterations, salt, derive(password, salt, iterations));
  }

  /**
   * A hash no password matches, with this hasher's salt length, iteration count and hash length:
   * verifying a guess against it costs exactly what verifying against a real hash costs. Random
   * bytes stand in for the derived hash (a match has probability 2^-256), so making one costs no
   * PBKDF2 run: the registry's start is not held up by a hash nobody logs in with.
   */
  public PasswordHash decoy() {
    byte[] salt = new byte[SALT_BYTES];
    byte[] hash = new byte[HASH_BITS / 8];
    random.nextBytes(salt);
    random.nextBytes(hash);
    return new PasswordHash(iterations, salt, hash);
  }

  /** Compares in constant time, so response timing does not tell how much of a guess was right. */
  public boolean verify(String password, PasswordHash stored) {
    byte[] candidate = derive(password, stored.salt(), stored.iterations());
    return MessageDigest.isEqual(candidate, stored.hash());
  }

  /** 32 random bytes, base64url without padding (43 characters, safe in a shell and a URL). */
  public String generatePassword() {
    byte[] bytes = new byte[PASSWORD_BYTES];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] derive(String password, byte[] salt, int iterations) {
    char[] chars = password.toCharArray();
    PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, HASH_BITS);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JDK", e);
    } finally {
      spec.clearPassword();
      java.util.Arrays.fill(chars, '\0');
    }
  }
}
