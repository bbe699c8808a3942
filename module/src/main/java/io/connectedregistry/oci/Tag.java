package io.connectedregistry.oci;

import java.util.regex.Pattern;

/** Tag grammar from the distribution spec. */
public final class Tag {
  private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

  private Tag() {}

  /** @throws InvalidReferenceException (kind {@code tag}) for anything but a valid tag */
  public static String validate(String tag) {
    if (tag == null || !GRAMMAR.matcher(tag).matches()) {
      throw new InvalidReferenceException("tag", tag);
    }
    return tag;
  }
}
