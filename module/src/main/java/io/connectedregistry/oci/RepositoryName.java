package io.connectedregistry.oci;

import java.util.regex.Pattern;

/** A repository name as the distribution spec defines it ({@code <name>} in {@code /v2/<name>/...}). */
public record RepositoryName(String value) implements Comparable<RepositoryName> {

  private static final Pattern GRAMMAR = Pattern.compile(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  /** Same limit as distribution: names longer than this are refused. */
  public static final int MAX_LENGTH = 255;

  public RepositoryName {
    if (value == null || value.length() > MAX_LENGTH || !GRAMMAR.matcher(value).matches()) {
      throw new InvalidReferenceException("name", value);
    }
  }

  /** @throws InvalidReferenceException (kind {@code name}) for anything but a valid name */
  public static RepositoryName of(String value) {
    return new RepositoryName(value);
  }

  @Override
  public String toString() {
    return value;
  }

  @Override
  public int compareTo(RepositoryName o) {
    return value.compareTo(o.value);
  }
}
