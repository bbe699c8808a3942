package io.connectedregistry.bundle;

import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.oci.Tag;

/** Repository and tag from the names other tools write ({@code docker.io/library/x:1}, {@code localhost/app:v1}). */
final class ImageNames {
  record Name(String repository, String tag) {}

  private static final java.util.regex.Pattern HOST =
      java.util.regex.Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?");

  private ImageNames() {}

  /**
   * {@code [host/]repository[:tag]} with the registry host dropped (a first component with a dot or
   * a colon, or {@code localhost}); null when it is no image name. A name given by digest has no
   * tag here.
   */
  static Name parse(String reference) {
    if (reference == null || reference.isEmpty() || reference.length() > 512) {
      return null;
    }
    String rest = reference;
    int at = rest.indexOf('@');
    if (at >= 0) {
      rest = rest.substring(0, at);
    }
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      boolean host = first.contains(".") || first.contains(":") || first.equals("localhost");
      if (host && !HOST.matcher(first).matches()) {
        return null;
      }
      if (host) {
        rest = rest.substring(slash + 1);
      }
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    if (!validRepository(rest) || (tag != null && !validTag(tag))) {
      return null;
    }
    return new Name(rest, tag);
  }

  static boolean validRepository(String name) {
    try {
      RepositoryName.of(name);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  static boolean validTag(String tag) {
    try {
      Tag.validate(tag);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
