package io.connectedregistry.auth;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What a scope map can grant on a repository; the names are ACR's, as written in the CLI and API. */
public enum Action {
  CONTENT_READ("content/read"),
  CONTENT_WRITE("content/write"),
  CONTENT_DELETE("content/delete"),
  METADATA_READ("metadata/read"),
  METADATA_WRITE("metadata/write");

  private final String wireName;

  Action(String wireName) {
    this.wireName = wireName;
  }

  /** The name as written on the command line, in the API and in the database. */
  public String wireName() {
    return wireName;
  }

  /** Read actions are the only ones a ReadOnly registry's client tokens may hold. */
  public boolean isRead() {
    return this == CONTENT_READ || this == METADATA_READ;
  }

  public static Action parse(String name) {
    for (Action a : values()) {
      if (a.wireName.equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown action '" + name + "'; known actions: "
        + Arrays.stream(values()).map(Action::wireName).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
