package io.connectedregistry.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest {@code algorithm:hex}; only the algorithms the OCI spec registers are accepted. */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {

  private static final Pattern GRAMMAR =
      Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
  private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");
  private static final Pattern SHA512_HEX = Pattern.compile("[a-f0-9]{128}");
  /**
   * The longest digest accepted ({@code sha512:} and 128 hex digits). Longer text is refused
   * before the grammar runs: its regex recurses once per algorithm component, and a few thousand
   * components overflowed the stack.
   */
  private static final int MAX_LENGTH = "sha512:".length() + 128;

  public Digest {
    if (!("sha256".equals(algorithm) && SHA256_HEX.matcher(hex).matches()
        || "sha512".equals(algorithm) && SHA512_HEX.matcher(hex).matches())) {
      throw new InvalidReferenceException("digest", algorithm + ":" + hex);
    }
  }

  /** Parses and validates; throws {@link InvalidReferenceException} for anything else. */
  public static Digest parse(String text) {
    if (text == null || text.length() > MAX_LENGTH || !GRAMMAR.matcher(text).matches()) {
      throw new InvalidReferenceException("digest", text);
    }
    int colon = text.indexOf(':');
    return new Digest(text.substring(0, colon), text.substring(colon + 1));
  }

  public static boolean isDigest(String text) {
    return text != null && text.indexOf(':') > 0;
  }

  public static Digest sha256(byte[] content) {
    return of("sha256", content);
  }

  public static Digest of(String algorithm, byte[] content) {
    MessageDigest md = newMessageDigest(algorithm);
    return new Digest(algorithm, HexFormat.of().formatHex(md.digest(content)));
  }

  /** A fresh hasher for this digest's algorithm. */
  public MessageDigest newHasher() {
    return newMessageDigest(algorithm);
  }

  public static MessageDigest newMessageDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + algorithm, e);
    }
  }

  public static Digest fromHasher(String algorithm, MessageDigest hasher) {
    return new Digest(algorithm, HexFormat.of().formatHex(hasher.digest()));
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  @Override
  public int compareTo(Digest o) {
    return toString().compareTo(o.toString());
  }
}
