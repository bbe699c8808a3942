package io.connectedregistry.sync;

/** Token scopes (Docker token spec) that the calls declare, so a cached token can be sent up front. */
final class Scopes {
  static final String CATALOG = "registry:catalog:*";

  private Scopes() {}

  static String pull(String repository) {
    return "repository:" + repository + ":pull";
  }

  static String delete(String repository) {
    return "repository:" + repository + ":delete";
  }

  static String push(String repository) {
    return "repository:" + repository + ":pull,push";
  }
}
