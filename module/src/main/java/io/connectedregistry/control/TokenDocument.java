package io.connectedregistry.control;

import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.AuthStore.Tx;
import io.connectedregistry.auth.ParentMirror;
import io.connectedregistry.auth.PasswordHash;
import io.connectedregistry.auth.PasswordSlot;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.auth.Token;
import io.connectedregistry.auth.TokenPassword;
import io.connectedregistry.auth.TokenStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tokens a connected registry takes from its parent ({@code GET .../tokens}): for the registry
 * asked for (first in {@code registries}) and each of its descendants, the client tokens; for each
 * descendant, its sync token; every token with its scope map and its password hashes, never a
 * password. The registry installs its own client tokens and its descendants' sync tokens
 * ({@link #contents}); it keeps the rest to serve its children ({@link #subtree}).
 *
 * <pre>
 * {"registries": [{"name", "parent", "clientTokens": [..], "syncToken"}, ...],
 *  "tokens":     [{"name", "scopeMap", "status", "created", "passwords": [{"slot", "hash", "created", "expires"}]}],
 *  "scopeMaps":  [{"name", "description", "rules": [{"pattern", "actions": [..]}]}]}
 * </pre>
 */
public final class TokenDocument {

  private TokenDocument() {}

  /** At the root: the document of {@code subtree} (the registry first, then its descendants). */
  static JsonObject build(Tx tx, List<ConnectedRegistryDefinition> subtree) throws SQLException {
    JsonArray registries = new JsonArray();
    Set<String> tokenNames = new LinkedHashSet<>();
    for (int i = 0; i < subtree.size(); i++) {
      ConnectedRegistryDefinition d = subtree.get(i);
      registries.add(new JsonObject().put("name", d.name()).put("parent", d.parent())
          .put("clientTokens", new JsonArray(new ArrayList<>(d.clientTokens())))
          .put("syncToken", d.syncTokenName()));
      tokenNames.addAll(d.clientTokens());
      if (i > 0) {
        tokenNames.add(d.syncTokenName());
      }
    }
    JsonArray tokens = new JsonArray();
    Set<String> mapNames = new LinkedHashSet<>();
    for (String name : tokenNames) {
      Optional<Token> token = tx.token(name);
      if (token.isEmpty()) {
        continue;
      }
      Token t = token.get();
      JsonArray passwords = new JsonArray();
      for (TokenPassword p : t.passwords()) {
        passwords.add(new JsonObject().put("slot", p.slot().number())
            .put("hash", p.hash().encoded()).put("created", p.created().toString())
            .put("expires", p.expires().map(Instant::toString).orElse(null)));
      }
      tokens.add(new JsonObject().put("name", t.name()).put("scopeMap", t.scopeMapName())
          .put("status", t.status().name()).put("created", t.created().toString())
          .put("passwords", passwords));
      mapNames.add(t.scopeMapName());
    }
    JsonArray maps = new JsonArray();
    for (String name : mapNames) {
      Optional<ScopeMap> map = tx.scopeMap(name);
      if (map.isEmpty()) {
        continue;
      }
      JsonArray rules = new JsonArray();
      for (ScopeMapRule rule : map.get().rules()) {
        rules.add(new JsonObject().put("pattern", rule.pattern().value()).put("actions",
            new JsonArray(EnumSet.copyOf(rule.actions()).stream().map(Action::wireName).toList())));
      }
      maps.add(new JsonObject().put("name", name).put("description", map.get().description())
          .put("rules", rules));
    }
    return new JsonObject().put("registries", registries).put("tokens", tokens)
        .put("scopeMaps", maps);
  }

  /**
   * At a connected registry serving its child {@code name}: the part of its own document that
   * concerns {@code name}'s subtree, the same shape the root would answer; null when {@code name}
   * is not in it.
   */
  public static JsonObject subtree(JsonObject document, String name) {
    Map<String, JsonObject> byName = new LinkedHashMap<>();
    for (Object o : document.getJsonArray("registries", new JsonArray())) {
      JsonObject r = (JsonObject) o;
      byName.put(r.getString("name"), r);
    }
    if (!byName.containsKey(name)) {
      return null;
    }
    List<String> members = new ArrayList<>(List.of(name));
    boolean grew = true;
    while (grew) {
      grew = false;
      for (JsonObject r : byName.values()) {
        String n = r.getString("name");
        if (!members.contains(n) && members.contains(r.getString("parent"))) {
          members.add(n);
          grew = true;
        }
      }
    }
    JsonArray registries = new JsonArray();
    Set<String> tokenNames = new LinkedHashSet<>();
    for (String m : members) {
      JsonObject r = byName.get(m);
      registries.add(r);
      r.getJsonArray("clientTokens", new JsonArray()).forEach(t -> tokenNames.add((String) t));
      if (!m.equals(name)) {
        tokenNames.add(r.getString("syncToken"));
      }
    }
    JsonArray tokens = new JsonArray();
    Set<String> mapNames = new LinkedHashSet<>();
    for (Object o : document.getJsonArray("tokens", new JsonArray())) {
      JsonObject t = (JsonObject) o;
      if (tokenNames.contains(t.getString("name"))) {
        tokens.add(t);
        mapNames.add(t.getString("scopeMap"));
      }
    }
    JsonArray maps = new JsonArray();
    for (Object o : document.getJsonArray("scopeMaps", new JsonArray())) {
      JsonObject m = (JsonObject) o;
      if (mapNames.contains(m.getString("name"))) {
        maps.add(m);
      }
    }
    return new JsonObject().put("registries", registries).put("tokens", tokens)
        .put("scopeMaps", maps);
  }

  /**
   * What {@code registry} installs from its parent's document: its own client tokens and its
   * descendants' sync tokens, with their scope maps. Every value is checked (names, hashes,
   * actions, counts); a document that does not parse is refused whole.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static ParentMirror.Contents contents(JsonObject document, String registry,
      String parent) {
    try {
      JsonArray registries = document.getJsonArray("registries");
      if (registries == null || registries.isEmpty()
          || !registry.equals(registries.getJsonObject(0).getString("name"))) {
        throw new IllegalArgumentException("the tokens document is not about '" + registry + "'");
      }
      Set<String> wanted = new LinkedHashSet<>();
      for (int i = 0; i < registries.size(); i++) {
        JsonObject r = registries.getJsonObject(i);
        if (i == 0) {
          r.getJsonArray("clientTokens", new JsonArray()).forEach(t -> wanted.add((String) t));
        } else {
          wanted.add(r.getString("syncToken"));
        }
      }
      List<Token> tokens = new ArrayList<>();
      Set<String> mapNames = new LinkedHashSet<>();
      for (Object o : document.getJsonArray("tokens", new JsonArray())) {
        JsonObject t = (JsonObject) o;
        if (!wanted.contains(t.getString("name"))) {
          continue;
        }
        List<TokenPassword> passwords = new ArrayList<>();
        for (Object p : t.getJsonArray("passwords", new JsonArray())) {
          JsonObject pw = (JsonObject) p;
          String expires = pw.getString("expires");
          passwords.add(new TokenPassword(PasswordSlot.of(pw.getInteger("slot")),
              PasswordHash.parse(pw.getString("hash")), Instant.parse(pw.getString("created")),
              expires == null ? Optional.empty() : Optional.of(Instant.parse(expires))));
        }
        tokens.add(new Token(t.getString("name"), t.getString("scopeMap"),
            TokenStatus.valueOf(t.getString("status")), passwords,
            Instant.parse(t.getString("created"))));
        mapNames.add(t.getString("scopeMap"));
      }
      List<ScopeMap> maps = new ArrayList<>();
      for (Object o : document.getJsonArray("scopeMaps", new JsonArray())) {
        JsonObject m = (JsonObject) o;
        if (!mapNames.contains(m.getString("name"))) {
          continue;
        }
        List<ScopeMapRule> rules = new ArrayList<>();
        for (Object r : m.getJsonArray("rules", new JsonArray())) {
          JsonObject rule = (JsonObject) r;
          Set<Action> actions = EnumSet.noneOf(Action.class);
          rule.getJsonArray("actions").forEach(a -> actions.add(Action.parse((String) a)));
          rules.add(new ScopeMapRule(RepositoryPattern.of(rule.getString("pattern")), actions));
        }
        maps.add(new ScopeMap(m.getString("name"), m.getString("description"), rules));
      }
      return new ParentMirror.Contents(registry, parent, maps, tokens);
    } catch (ClassCastException | NullPointerException | java.time.DateTimeException e) {
      throw new IllegalArgumentException("the tokens document is malformed: " + e.getClass()
          .getSimpleName());
    }
  }

  /** A strong ETag of the document's bytes: tokens change without a new definition version. */
  public static String etag(JsonObject document) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(document.encode().getBytes(StandardCharsets.UTF_8));
      return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
