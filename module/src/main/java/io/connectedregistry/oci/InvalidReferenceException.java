package io.connectedregistry.oci;

/** A name, tag or digest that does not match the distribution spec's grammar. */
public final class InvalidReferenceException extends IllegalArgumentException {
  private final String kind;

  public InvalidReferenceException(String kind, String value) {
    super("invalid " + kind + ": " + (value == null ? "(none)" : abbreviate(value)));
    this.kind = kind;
  }

  /** One of {@code name}, {@code tag}, {@code digest}. */
  public String kind() {
    return kind;
  }

  private static String abbreviate(String v) {
    return v.length() > 200 ? v.substring(0, 200) + "..." : v;
  }
}
