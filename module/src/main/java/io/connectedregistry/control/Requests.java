package io.connectedregistry.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The requests of the connected-registry operations, as the CLI builds them and as the admin API
 * receives them (JSON objects with these keys; absent = not given). Values are as users write them
 * and are checked by {@link ConnectedRegistries}, so both paths refuse the same way.
 */
public final class Requests {

  private Requests() {}

  /** {@code cr create}. */
  public record Create(String name, String mode, String parent, List<String> repositories,
      List<String> clientTokens, String syncSchedule, String syncWindow, String syncMessageTtl,
      String logLevel) {

    public Create {
      repositories = repositories == null ? List.of() : List.copyOf(repositories);
      clientTokens = clientTokens == null ? List.of() : List.copyOf(clientTokens);
    }

    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      put(m, "name", name);
      put(m, "mode", mode);
      put(m, "parent", parent);
      m.put("repositories", repositories);
      m.put("clientTokens", clientTokens);
      put(m, "syncSchedule", syncSchedule);
      put(m, "syncWindow", syncWindow);
      put(m, "syncMessageTtl", syncMessageTtl);
      put(m, "logLevel", logLevel);
      return m;
    }

    public static Create fromJson(Map<String, Object> m) {
      known(m, "name", "mode", "parent", "repositories", "clientTokens", "syncSchedule",
          "syncWindow", "syncMessageTtl", "logLevel");
      return new Create(string(m, "name"), string(m, "mode"), string(m, "parent"),
          strings(m, "repositories"), strings(m, "clientTokens"), string(m, "syncSchedule"),
          string(m, "syncWindow"), string(m, "syncMessageTtl"), string(m, "logLevel"));
    }
  }

  /** {@code cr update}: null or empty = unchanged. */
  public record Update(List<String> addClientTokens, List<String> removeClientTokens,
      String syncSchedule, String syncWindow, String syncMessageTtl, String logLevel,
      Boolean gcEnabled, String gcSchedule) {

    public Update {
      addClientTokens = addClientTokens == null ? List.of() : List.copyOf(addClientTokens);
      removeClientTokens = removeClientTokens == null ? List.of() : List.copyOf(removeClientTokens);
    }

    boolean isEmpty() {
      return addClientTokens.isEmpty() && removeClientTokens.isEmpty() && syncSchedule == null
          && syncWindow == null && syncMessageTtl == null && logLevel == null && gcEnabled == null
          && gcSchedule == null;
    }

    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("addClientTokens", addClientTokens);
      m.put("removeClientTokens", removeClientTokens);
      put(m, "syncSchedule", syncSchedule);
      put(m, "syncWindow", syncWindow);
      put(m, "syncMessageTtl", syncMessageTtl);
      put(m, "logLevel", logLevel);
      put(m, "gcEnabled", gcEnabled);
      put(m, "gcSchedule", gcSchedule);
      return m;
    }

    public static Update fromJson(Map<String, Object> m) {
      known(m, "addClientTokens", "removeClientTokens", "syncSchedule", "syncWindow",
          "syncMessageTtl", "logLevel", "gcEnabled", "gcSchedule");
      Object gc = m.get("gcEnabled");
      if (gc != null && !(gc instanceof Boolean)) {
        throw new IllegalArgumentException("'gcEnabled' must be true or false");
      }
      return new Update(strings(m, "addClientTokens"), strings(m, "removeClientTokens"),
          string(m, "syncSchedule"), string(m, "syncWindow"), string(m, "syncMessageTtl"),
          string(m, "logLevel"), (Boolean) gc, string(m, "gcSchedule"));
    }
  }

  /** {@code cr get-settings}. */
  public record Settings(String parentProtocol, String parentEndpoint, Integer generatePassword) {

    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      put(m, "parentProtocol", parentProtocol);
      put(m, "parentEndpoint", parentEndpoint);
      put(m, "generatePassword", generatePassword);
      return m;
    }

    public static Settings fromJson(Map<String, Object> m) {
      known(m, "parentProtocol", "parentEndpoint", "generatePassword");
      Object slot = m.get("generatePassword");
      if (slot != null && !(slot instanceof Integer)) {
        throw new IllegalArgumentException("'generatePassword' must be 1 or 2");
      }
      return new Settings(string(m, "parentProtocol"), string(m, "parentEndpoint"),
          (Integer) slot);
    }
  }

  /** {@code cr repo update} and {@code cr permissions update}. */
  public record RepositoryChange(List<String> add, List<String> remove) {

    public RepositoryChange {
      add = add == null ? List.of() : List.copyOf(add);
      remove = remove == null ? List.of() : List.copyOf(remove);
    }

    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("add", add);
      m.put("remove", remove);
      return m;
    }

    public static RepositoryChange fromJson(Map<String, Object> m) {
      known(m, "add", "remove");
      return new RepositoryChange(strings(m, "add"), strings(m, "remove"));
    }
  }

  private static void put(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  /** A misspelt key must not pass as "not given". */
  private static void known(Map<String, Object> m, String... keys) {
    List<String> allowed = List.of(keys);
    for (String key : m.keySet()) {
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException("unknown field '" + key + "'; expected "
            + String.join(", ", allowed));
      }
    }
  }

  private static String string(Map<String, Object> m, String key) {
    Object value = m.get(key);
    if (value != null && !(value instanceof String)) {
      throw new IllegalArgumentException("'" + key + "' must be text");
    }
    return (String) value;
  }

  private static List<String> strings(Map<String, Object> m, String key) {
    Object value = m.get(key);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException("'" + key + "' must be a list of text");
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof String s)) {
        throw new IllegalArgumentException("'" + key + "' must be a list of text");
      }
      out.add(s);
    }
    return out;
  }
}
