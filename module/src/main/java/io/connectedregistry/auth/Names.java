package io.connectedregistry.auth;

import java.util.regex.Pattern;

/**
 * Token and scope-map names. ACR's rule (5 to 50 letters, digits and hyphens) keeps them usable
 * as a Basic-auth user name (no ':'), in a URL path segment and on a command line unquoted.
 */
final class Names {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9-]{5,50}");

  private Names() {}

  static String check(String kind, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid " + kind + " name '" + name
          + "': use 5 to 50 letters, digits and hyphens");
    }
    return name;
  }
}
