package io.connectedregistry.auth;

import java.util.regex.Pattern;

/**
 * Token and scope-map names. ACR's rule (5 to 50 letters, digits and hyphens) keeps them usable
 * as a Basic-auth user name (no ':'), in a URL path segment and on a command line unquoted.
 *
 * <p>One exception: the sync token and sync scope map of a connected registry are named after it,
 * {@code <name>-sync-token} and {@code <name>-sync-scope-map} (ACR's names), and a connected
 * registry's name may have 50 characters itself; those two derived forms are accepted up to 65.
 */
final class Names {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9-]{5,50}");
  private static final Pattern SYNC_NAME =
      Pattern.compile("[a-z][a-z0-9]{4,49}-sync-(?:token|scope-map)");

  private Names() {}

  static String check(String kind, String name) {
    if (name == null || !(NAME.matcher(name).matches() || SYNC_NAME.matcher(name).matches())) {
      throw new IllegalArgumentException("invalid " + kind + " name '" + name
          + "': use 5 to 50 letters, digits and hyphens");
    }
    return name;
  }
}
