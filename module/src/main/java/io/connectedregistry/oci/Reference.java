package io.connectedregistry.oci;

/** The {@code <reference>} of a manifest URL: either a tag or a digest, never both. */
public record Reference(String tag, Digest digest) {

  /**
   * A digest when {@code text} has a ':' after its first character, else a tag.
   *
   * @throws InvalidReferenceException (kind {@code tag} or {@code digest}) for anything else
   */
  public static Reference parse(String text) {
    if (Digest.isDigest(text)) {
      return new Reference(null, Digest.parse(text));
    }
    return new Reference(Tag.validate(text), null);
  }

  public boolean isDigest() {
    return digest != null;
  }

  @Override
  public String toString() {
    return isDigest() ? digest.toString() : tag;
  }
}
