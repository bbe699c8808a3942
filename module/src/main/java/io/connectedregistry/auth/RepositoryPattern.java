package io.connectedregistry.auth;

import io.connectedregistry.oci.RepositoryName;
import java.util.regex.Pattern;

/**
 * The repository part of a scope-map rule: an exact repository name, {@code prefix/*} or {@code *}.
 *
 * <p>ACR's semantics: {@code samples/*} matches {@code samples/hello} and everything deeper
 * ({@code samples/a/b}) but not {@code samples} itself, which needs its own rule; {@code *}
 * matches every repository. A wildcard anywhere else ({@code sa*}, {@code a/*&#47;b}) is refused.
 */
public record RepositoryPattern(String value) {

  /** A repository name as the distribution spec writes it (same grammar as {@link RepositoryName}). */
  private static final Pattern NAME = Pattern.compile(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

  public static final String EVERYTHING = "*";
  private static final String SUFFIX = "/*";

  public RepositoryPattern {
    if (value == null || !valid(value)) {
      throw new IllegalArgumentException("invalid repository pattern '" + value
          + "': expected a repository name (lowercase, e.g. app/web), 'prefix/*' or '*'");
    }
  }

  public static RepositoryPattern of(String value) {
    return new RepositoryPattern(value);
  }

  private static boolean valid(String v) {
    if (v.equals(EVERYTHING)) {
      return true;
    }
    String name = v.endsWith(SUFFIX) ? v.substring(0, v.length() - SUFFIX.length()) : v;
    return name.length() <= RepositoryName.MAX_LENGTH && NAME.matcher(name).matches();
  }

  public boolean isWildcard() {
    return value.endsWith("*");
  }

  public boolean matches(String repository) {
    if (value.equals(EVERYTHING)) {
      return true;
    }
    if (value.endsWith(SUFFIX)) {
      // Keep the slash in the prefix so "app/*" does not match "apple/x".
      String prefix = value.substring(0, value.length() - 1);
      return repository.length() > prefix.length() && repository.startsWith(prefix);
    }
    return value.equals(repository);
  }

  @Override
  public String toString() {
    return value;
  }
}
