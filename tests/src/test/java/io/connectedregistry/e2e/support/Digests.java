package io.connectedregistry.e2e.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Digests as the OCI spec writes them ({@code algorithm:hex}), and random test content. */
public final class Digests {

  private Digests() {}

  public static String sha256(byte[] data) {
    return "sha256:" + hex("SHA-256", data);
  }

  public static String sha512(byte[] data) {
    return "sha512:" + hex("SHA-512", data);
  }

  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The digest of {@code data} in the algorithm that {@code digest} names (sha256 or sha512). */
  public static String sameAlgorithm(String digest, byte[] data) {
    if (digest.startsWith("sha512:")) {
      return sha512(data);
    }
    return sha256(data);
  }

  /** {@code size} pseudo-random bytes from {@code seed}: incompressible and reproducible. */
  public static byte[] randomBytes(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String hex(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
