package io.connectedregistry.oci;

/** A repository name as the distribution spec defines it ({@code <name>} in {@code /v2/<name>/...}). */
public record RepositoryName(String value) implements Comparable<RepositoryName> {

  /** Same limit as distribution: names longer than this are refused. */
  public static final int MAX_LENGTH = 255;

  public RepositoryName {
    if (value == null || value.length() > MAX_LENGTH || !isGrammatical(value)) {
      throw new InvalidReferenceException("name", value);
    }
  }

  /** @throws InvalidReferenceException (kind {@code name}) for anything but a valid name */
  public static RepositoryName of(String value) {
    return new RepositoryName(value);
  }

  /**
   * The spec's grammar, {@code [a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*},
   * by hand: runs of lower-case letters and digits joined by {@code .}, {@code _}, {@code __}, one
   * or more {@code -}, or {@code /}. Every request path is checked, and the regex's nested groups
   * allocated and backtracked on each (RepositoryNameProperties compares the two).
   */
  static boolean isGrammatical(String name) {
    int n = name.length();
    int i = 0;
    while (true) {
      int run = i;
      while (i < n && isLowerAlnum(name.charAt(i))) {
        i++;
      }
      if (i == run) {
        return false; // a name, a component and what follows a separator start with a letter or digit
      }
      if (i == n) {
        return true;
      }
      char c = name.charAt(i++);
      if (c == '_') {
        if (i < n && name.charAt(i) == '_') {
          i++;
        }
      } else if (c == '-') {
        while (i < n && name.charAt(i) == '-') {
          i++;
        }
      } else if (c != '.' && c != '/') {
        return false;
      }
    }
  }

  private static boolean isLowerAlnum(char c) {
    return c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
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
