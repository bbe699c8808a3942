package io.connectedregistry.auth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scopes of the Docker token protocol ({@code repository:app/web:pull,push},
 * {@code registry:catalog:*}) and how their action names map to scope-map actions.
 *
 * <p>Docker action names are ACR's: {@code pull} (content/read), {@code push} (content/write),
 * {@code delete} (content/delete), {@code metadata_read}, {@code metadata_write}. Clients ask for
 * {@code pull} before listing tags or referrers too, so a requested {@code pull} also brings
 * metadata/read where the scope map grants it; {@code *} asks for everything.
 */
public final class Scope {

  /** What a list of scope strings asks for: actions per repository, and the catalog. */
  public record Request(Map<String, Set<Action>> repositories, boolean catalog) {
    public Request {
      Map<String, Set<Action>> copy = new LinkedHashMap<>();
      repositories.forEach((name, actions) -> copy.put(name, Collections.unmodifiableSet(
          actions.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(actions))));
      repositories = Collections.unmodifiableMap(copy);
    }

    public static final Request NOTHING = new Request(Map.of(), false);
  }

  private Scope() {}

  /**
   * Parses scope strings as clients send them: repeated parameters, each possibly holding several
   * space-separated scopes. Unknown resource types and actions are ignored (the spec says a token
   * server grants what it can), malformed entries too.
   */
  public static Request parse(List<String> scopes) {
    Map<String, Set<Action>> repositories = new LinkedHashMap<>();
    boolean catalog = false;
    for (String parameter : scopes) {
      if (parameter == null) {
        continue;
      }
      for (String scope : parameter.trim().split("\\s+")) {
        int first = scope.indexOf(':');
        int last = scope.lastIndexOf(':');
        if (first <= 0 || last == first) {
          continue;
        }
        String type = scope.substring(0, first);
        String name = scope.substring(first + 1, last);
        String actions = scope.substring(last + 1);
        if (type.equals("registry") && name.equals("catalog")) {
          catalog = true;
        } else if (type.equals("repository") && !name.isEmpty()) {
          repositories.computeIfAbsent(name, n -> EnumSet.noneOf(Action.class))
              .addAll(actions(actions));
        }
      }
    }
    return new Request(repositories, catalog);
  }

  /** Scope-map actions a comma-separated list of Docker actions asks for. */
  static Set<Action> actions(String dockerActions) {
    EnumSet<Action> wanted = EnumSet.noneOf(Action.class);
    for (String action : dockerActions.split(",")) {
      switch (action.trim()) {
        case "pull" -> {
          wanted.add(Action.CONTENT_READ);
          wanted.add(Action.METADATA_READ);
        }
        case "push" -> wanted.add(Action.CONTENT_WRITE);
        case "delete" -> wanted.add(Action.CONTENT_DELETE);
        case "metadata_read" -> wanted.add(Action.METADATA_READ);
        case "metadata_write" -> wanted.add(Action.METADATA_WRITE);
        case "*" -> wanted.addAll(Action.repositoryActions());
        default -> { } // unknown: grant nothing for it
      }
    }
    return wanted;
  }

  /** The Docker name of an action, as written into a Bearer token's access claim. */
  public static String dockerName(Action action) {
    return switch (action) {
      case CONTENT_READ -> "pull";
      case CONTENT_WRITE -> "push";
      case CONTENT_DELETE -> "delete";
      case METADATA_READ -> "metadata_read";
      case METADATA_WRITE -> "metadata_write";
      case CONFIG_READ, CONFIG_WRITE, MESSAGE_READ, MESSAGE_WRITE ->
          throw new IllegalArgumentException(action + " is not a repository action");
    };
  }

  public static Action fromDockerName(String name) {
    for (Action action : Action.repositoryActions()) {
      if (dockerName(action).equals(name)) {
        return action;
      }
    }
    throw new IllegalArgumentException("unknown action '" + name + "'");
  }

  /**
   * The scope string a challenge names for a repository and the actions a request needs, e.g.
   * {@code repository:app/web:pull,push}.
   */
  public static String challenge(String repository, Set<Action> actions) {
    List<String> names = new ArrayList<>();
    if (actions.contains(Action.CONTENT_READ) || actions.contains(Action.METADATA_READ)) {
      names.add("pull");
    }
    if (actions.contains(Action.CONTENT_WRITE)) {
      names.add("push");
    }
    if (actions.contains(Action.CONTENT_DELETE)) {
      names.add("delete");
    }
    if (actions.contains(Action.METADATA_WRITE)) {
      names.add("metadata_write");
    }
    return "repository:" + repository + ":" + String.join(",", names);
  }
}
