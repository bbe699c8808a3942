package io.connectedregistry.auth;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a scope map can grant; the names are ACR's, as written in the CLI and API. The first five
 * act on repositories. The four gateway actions act on a connected registry (its definition,
 * status and messages) and are granted only by rules on {@code gateway/<registry-name>}, as ACR
 * writes them ({@code gateway/factory1/config/read}): see {@link ScopeMapRule}.
 */
public enum Action {
  CONTENT_READ("content/read"),
  CONTENT_WRITE("content/write"),
  CONTENT_DELETE("content/delete"),
  METADATA_READ("metadata/read"),
  METADATA_WRITE("metadata/write"),
  /** Read a connected registry's definition (and its client tokens' hashes). */
  CONFIG_READ("config/read"),
  /** Report a connected registry's status and activate it. */
  CONFIG_WRITE("config/write"),
  /** Read messages addressed to a connected registry. */
  MESSAGE_READ("message/read"),
  /** Send messages from a connected registry (status up the tree). */
  MESSAGE_WRITE("message/write");

  private static final Set<Action> REPOSITORY =
      Collections.unmodifiableSet(EnumSet.range(CONTENT_READ, METADATA_WRITE));
  private static final Set<Action> GATEWAY =
      Collections.unmodifiableSet(EnumSet.range(CONFIG_READ, MESSAGE_WRITE));

  private final String wireName;

  Action(String wireName) {
    this.wireName = wireName;
  }

  /** The name as written on the command line, in the API and in the database. */
  public String wireName() {
    return wireName;
  }

  /**
   * The repository reads (content/read, metadata/read): the only actions a ReadOnly registry's
   * client tokens may hold. Gateway actions are never reads in this sense.
   */
  public boolean isRead() {
    return this == CONTENT_READ || this == METADATA_READ;
  }

  /** config/read, config/write, message/read, message/write: actions on a connected registry. */
  public boolean isGateway() {
    return GATEWAY.contains(this);
  }

  /** The five repository actions ("everything" on a repository). Unmodifiable. */
  public static Set<Action> repositoryActions() {
    return REPOSITORY;
  }

  /** The four gateway actions. Unmodifiable. */
  public static Set<Action> gatewayActions() {
    return GATEWAY;
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
