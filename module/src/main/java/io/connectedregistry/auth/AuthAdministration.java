package io.connectedregistry.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The token and scope-map operations, once, for both the {@code token}/{@code scope-map} CLI and
 * the admin HTTP API. Results are plain maps in the shape both print as JSON; a password appears
 * only in the result of the call that generated it, and hashes never.
 *
 * <p>Blocking (store I/O, password hashing): call from a worker.
 */
public final class AuthAdministration {

  /** A token created with its own rules gets a scope map named after it. */
  public static final String SCOPE_MAP_SUFFIX = "-scope-map";

  private final AuthStore store;
  private final Clock clock;

  public AuthAdministration(AuthStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  // ---- tokens ----

  /**
   * Creates a token with either its own rules (in a scope map named {@code NAME-scope-map}) or an
   * existing scope map, and its first password. Leaves nothing behind when any step fails.
   *
   * @return {@code {"name","password"}}
   */
  public Map<String, Object> createToken(String name, List<ScopeMapRule> rules, String scopeMap,
      Optional<Instant> expires) {
    requireLocal();
    boolean hasRules = rules != null && !rules.isEmpty();
    if (hasRules == (scopeMap != null)) {
      throw new IllegalArgumentException(
          "a token needs either repository rules or a scope map, not both or neither");
    }
    if (store.token(name).isPresent()) {
      throw new AuthStoreException(
          AuthStoreException.Kind.ALREADY_EXISTS, "token '" + name + "' already exists");
    }
    String mapName = scopeMap;
    boolean createdMap = false;
    if (hasRules) {
      mapName = name + SCOPE_MAP_SUFFIX;
      ScopeMap map;
      try {
        map = new ScopeMap(mapName, "rules of token " + name, rules);
      } catch (IllegalArgumentException e) {
        if (mapName.length() > 50) {
          throw new IllegalArgumentException("token name '" + name + "' is too long to derive"
              + " scope map '" + mapName + "' (at most 50 characters); create the scope map"
              + " yourself and name it instead");
        }
        throw e;
      }
      store.createScopeMap(map);
      createdMap = true;
    }
    boolean createdToken = false;
    try {
      store.createToken(name, mapName, TokenStatus.ENABLED);
      createdToken = true;
      GeneratedPassword generated = store.generatePassword(name, PasswordSlot.PASSWORD1, expires);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", name);
      out.put("password", generated.password());
      return out;
    } catch (RuntimeException e) {
      try {
        if (createdToken) {
          store.deleteToken(name);
        }
        if (createdMap) {
          store.deleteScopeMap(mapName);
        }
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  public List<Map<String, Object>> listTokens() {
    return store.tokens().stream().map(AuthAdministration::describe).toList();
  }

  /** The token and the rules of its scope map. */
  public Map<String, Object> showToken(String name) {
    Token token = requireToken(name);
    Map<String, Object> out = describe(token);
    store.scopeMap(token.scopeMapName()).ifPresent(m -> out.put("rules", describeRules(m)));
    return out;
  }

  /** Either argument may be null (unchanged), not both. */
  public Map<String, Object> updateToken(String name, TokenStatus status, String scopeMap) {
    requireLocal();
    if (status == null && scopeMap == null) {
      throw new IllegalArgumentException("nothing to change: give a status and/or a scope map");
    }
    requireToken(name);
    if (scopeMap != null) {
      store.setScopeMap(name, scopeMap);
    }
    if (status != null) {
      store.setStatus(name, status);
    }
    return describe(requireToken(name));
  }

  public void deleteToken(String name) {
    requireLocal();
    store.deleteToken(name);
  }

  /** @return {@code {"name","slot","password"[,"expires"]}} */
  public Map<String, Object> generatePassword(String name, PasswordSlot slot,
      Optional<Instant> expires) {
    requireLocal();
    GeneratedPassword generated = store.generatePassword(name, slot, expires);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", generated.tokenName());
    out.put("slot", generated.slot().number());
    out.put("password", generated.password());
    generated.expires().ifPresent(e -> out.put("expires", e.toString()));
    return out;
  }

  public void deletePassword(String name, PasswordSlot slot) {
    requireLocal();
    store.deletePassword(name, slot);
  }

  // ---- scope maps ----

  public Map<String, Object> createScopeMap(String name, String description,
      List<ScopeMapRule> rules) {
    requireLocal();
    if (rules == null || rules.isEmpty()) {
      throw new IllegalArgumentException("a scope map needs at least one repository rule");
    }
    return describe(store.createScopeMap(new ScopeMap(name, description, rules)));
  }

  public List<Map<String, Object>> listScopeMaps() {
    return store.scopeMaps().stream().map(AuthAdministration::describe).toList();
  }

  public Map<String, Object> showScopeMap(String name) {
    return describe(requireScopeMap(name));
  }

  /** Replaces the rules and/or the description (null = unchanged, not both). */
  public Map<String, Object> updateScopeMap(String name, String description,
      List<ScopeMapRule> rules) {
    requireLocal();
    boolean newRules = rules != null && !rules.isEmpty();
    if (!newRules && description == null) {
      throw new IllegalArgumentException("nothing to change: give rules and/or a description");
    }
    ScopeMap current = requireScopeMap(name);
    return describe(store.updateScopeMap(new ScopeMap(name,
        description != null ? description : current.description(),
        newRules ? rules : current.rules())));
  }

  public void deleteScopeMap(String name) {
    requireLocal();
    store.deleteScopeMap(name);
  }

  /**
   * A connected registry whose parent's tokens are mirrored here changes none locally: the next
   * fetch would undo it, and the root is where they are managed.
   */
  private void requireLocal() {
    Optional<String> owner = ParentMirror.owner(store);
    if (owner.isPresent()) {
      throw new AuthStoreException(AuthStoreException.Kind.IN_USE, owner.get());
    }
  }

  // ---- values as users write them ----

  /** {@code enabled} or {@code disabled}, any case. */
  public static TokenStatus status(String key, String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "enabled" -> TokenStatus.ENABLED;
      case "disabled" -> TokenStatus.DISABLED;
      default -> throw new IllegalArgumentException(
          key + " must be enabled or disabled, not '" + value + "'");
    };
  }

  /** An ISO-8601 duration from now ({@code P30D}) or an instant; null = no expiry. */
  public Optional<Instant> expiry(String key, String value) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      if (value.startsWith("P") || value.startsWith("p")) {
        Duration d = Duration.parse(value);
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException(key + " must be a positive duration, not " + value);
        }
        return Optional.of(clock.instant().plus(d));
      }
      Instant instant = Instant.parse(value);
      if (!instant.isAfter(clock.instant())) {
        // A password that could never be used is a mistake, not a wish.
        throw new IllegalArgumentException(key + ": " + value + " is in the past");
      }
      return Optional.of(instant);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(key + ": expected an ISO-8601 duration (e.g. P30D) or"
          + " instant (e.g. 2030-01-01T00:00:00Z), not '" + value + "'");
    }
  }

  /** One rule from a pattern and action names as written ({@code app/*}, {@code content/read}). */
  public static ScopeMapRule rule(String pattern, List<String> actions) {
    if (actions.isEmpty()) {
      throw new IllegalArgumentException("rule for '" + pattern + "' names no action");
    }
    return ScopeMapRule.of(pattern, actions.stream().map(Action::parse).toArray(Action[]::new));
  }

  // ---- views ----

  public static Map<String, Object> describe(ScopeMap map) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", map.name());
    out.put("description", map.description());
    out.put("rules", describeRules(map));
    return out;
  }

  static List<Map<String, Object>> describeRules(ScopeMap map) {
    List<Map<String, Object>> rules = new ArrayList<>();
    for (ScopeMapRule rule : map.rules()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("repository", rule.pattern().value());
      r.put("actions", rule.actions().stream()
          .sorted(Comparator.naturalOrder()).map(Action::wireName).toList());
      rules.add(r);
    }
    return rules;
  }

  /** Never includes a password or hash: slot, created and expiry only. */
  public static Map<String, Object> describe(Token token) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", token.name());
    out.put("scopeMap", token.scopeMapName());
    out.put("status", token.status().name().toLowerCase(Locale.ROOT));
    out.put("created", token.created().toString());
    List<Map<String, Object>> passwords = new ArrayList<>();
    for (TokenPassword p : token.passwords()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("slot", p.slot().number());
      m.put("created", p.created().toString());
      m.put("expires", p.expires().map(Instant::toString).orElse(null));
      passwords.add(m);
    }
    passwords.sort(Comparator.comparing(m -> (Integer) m.get("slot")));
    out.put("passwords", passwords);
    return out;
  }

  private Token requireToken(String name) {
    return store.token(name).orElseThrow(() -> new AuthStoreException(
        AuthStoreException.Kind.NOT_FOUND, "token '" + name + "' does not exist"));
  }

  private ScopeMap requireScopeMap(String name) {
    return store.scopeMap(name).orElseThrow(() -> new AuthStoreException(
        AuthStoreException.Kind.NOT_FOUND, "scope map '" + name + "' does not exist"));
  }
}
